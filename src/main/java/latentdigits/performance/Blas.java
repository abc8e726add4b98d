package latentdigits.performance;

import org.bytedeco.javacpp.DoublePointer;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.openblas.global.openblas_nolapack;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** Matrix products straight to OpenBLAS, for the layers of this package. */
public final class Blas {
    private Blas() {
    }

    /**
     * {@code c = op(a) op(b) + beta c}, straight to OpenBLAS when every matrix is a float or double strided
     * 2-D block (either order, the result too); otherwise through ND4J's matmul op. ND4J's op costs ~8 us a call more here (an op
     * context and argument buffers built and freed per call, 30 calls a minibatch) than the product of a
     * [100, 50] by [50, 50] matrix itself. Returns whether it went straight to OpenBLAS.
     */
    public static boolean gemm(INDArray a, boolean transA, INDArray b, boolean transB, INDArray c, double beta) {
        DataType type = c.dataType();
        Strided sa = Strided.of(a), sb = Strided.of(b), sc = Strided.of(c);
        boolean direct = direct(type, a, b, sa, sb) && sc != null && sc.columnMajor;
        if (sc != null && !sc.columnMajor && direct(type, a, b, sa, sb)) {
            // a row-major result is the column-major result of the transposed product
            return gemm(b, !transB, a, !transA, c.transpose(), beta);
        }
        if (!direct) {
            Nd4j.gemm(a, b, c, transA, transB, 1.0, beta);
            return false;
        }
        int m = (int) c.size(0), n = (int) c.size(1), k = (int) (transA ? a.size(0) : a.size(1));
        // a row-major block is the column-major block of its transpose
        int opA = transA != !sa.columnMajor ? openblas_nolapack.CblasTrans : openblas_nolapack.CblasNoTrans;
        int opB = transB != !sb.columnMajor ? openblas_nolapack.CblasTrans : openblas_nolapack.CblasNoTrans;
        if (type == DataType.FLOAT) {
            openblas_nolapack.cblas_sgemm(openblas_nolapack.CblasColMajor, opA, opB, m, n, k, 1f,
                    (FloatPointer) a.data().addressPointer(), sa.leading, (FloatPointer) b.data().addressPointer(), sb.leading,
                    (float) beta, (FloatPointer) c.data().addressPointer(), sc.leading);
        } else {
            openblas_nolapack.cblas_dgemm(openblas_nolapack.CblasColMajor, opA, opB, m, n, k, 1.0,
                    (DoublePointer) a.data().addressPointer(), sa.leading, (DoublePointer) b.data().addressPointer(), sb.leading,
                    beta, (DoublePointer) c.data().addressPointer(), sc.leading);
        }
        return true;
    }

    private static boolean direct(DataType type, INDArray a, INDArray b, Strided sa, Strided sb) {
        return (type == DataType.FLOAT || type == DataType.DOUBLE) && a.dataType() == type && b.dataType() == type && sa != null && sb != null;
    }

    /** How BLAS sees a matrix: column-major with leading dimension {@code leading}, or row-major. */
    private record Strided(boolean columnMajor, int leading) {
        static Strided of(INDArray x) {
            if (x.rank() != 2 || x.isEmpty()) return null; // a view's data() pointer already starts at its offset
            long rows = x.size(0), columns = x.size(1);
            long s0 = x.stride(0), s1 = x.stride(1);
            if ((s0 == 1 || rows == 1) && s1 >= Math.max(1, rows)) return new Strided(true, (int) Math.max(s1, rows));
            if ((s1 == 1 || columns == 1) && s0 >= Math.max(1, columns)) return new Strided(false, (int) Math.max(s0, columns));
            return null;
        }
    }
}
