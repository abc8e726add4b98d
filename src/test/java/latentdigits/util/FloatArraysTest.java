package latentdigits.util;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** The bulk copies and re-layouts against ND4J's own concat and dup. */
class FloatArraysTest {

    private static INDArray matrix(long seed, int rows, int columns, char order) {
        Nd4j.getRandom().setSeed(seed);
        return Nd4j.randn(DataType.FLOAT, rows, columns).dup(order);
    }

    @Test
    void stackRowsIsConcatInEveryOrder() {
        for (char first : new char[]{'c', 'f'})
            for (char second : new char[]{'c', 'f'}) {
                INDArray a = matrix(1, 5, 7, first), b = matrix(2, 3, 7, second);
                INDArray stacked = FloatArrays.stackRows(a, b);
                assertEquals('c', stacked.ordering());
                assertEquals(Nd4j.concat(0, a, b), stacked, first + " over " + second);
                // twice on one thread: the kept heap copies are reused, and a larger matrix makes them grow
                INDArray big = matrix(3, 9, 7, second);
                assertEquals(Nd4j.concat(0, a, big), FloatArrays.stackRows(a, big), first + " over a larger " + second);
            }
        INDArray column = matrix(4, 4, 1, 'f');
        assertEquals(Nd4j.concat(0, column, column), FloatArrays.stackRows(column, column), "columns");
    }

    @Test
    void inOrderKeepsTheValues() {
        INDArray c = matrix(5, 6, 4, 'c'), f = matrix(6, 6, 4, 'f');
        assertEquals('f', FloatArrays.inOrder(c, 'f').ordering());
        assertEquals(c, FloatArrays.inOrder(c, 'f'));
        assertEquals('c', FloatArrays.inOrder(f, 'c').ordering());
        assertEquals(f, FloatArrays.inOrder(f, 'c'));
    }

    @Test
    void matricesOfDifferentWidthsAreRefused() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> FloatArrays.stackRows(matrix(1, 2, 3, 'c'), matrix(1, 2, 4, 'c')));
        assertEquals("stackRows: expected two matrices with as many columns, found [2, 3] and [2, 4]", e.getMessage());
    }
}
