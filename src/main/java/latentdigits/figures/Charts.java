package latentdigits.figures;

import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.markers.SeriesMarkers;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.util.List;
import java.util.Map;

/** Line charts of metrics against epoch and the labelled latent scatter, drawn with XChart. */
public final class Charts {
    /** matplotlib's tab10, so the digit colours match what readers of the study are used to. */
    public static final Color[] DIGIT_COLORS = {
            new Color(31, 119, 180), new Color(255, 127, 14), new Color(44, 160, 44), new Color(214, 39, 40),
            new Color(148, 103, 189), new Color(140, 86, 75), new Color(227, 119, 194), new Color(127, 127, 127),
            new Color(188, 189, 34), new Color(23, 190, 207)};

    private Charts() {
    }

    /** One panel: each named series (metric key -> legend text) against the "epoch" column of the rows. */
    public static BufferedImage lines(String title, String yAxis, List<Map<String, Object>> rows, Map<String, String> series,
                                      int width, int height) {
        XYChart chart = new XYChartBuilder().width(width).height(height).title(title).xAxisTitle("epoch").yAxisTitle(yAxis).build();
        // below the plot: inside, a legend hides whichever corner the curves end in (the KL curve rises into the top right)
        chart.getStyler().setLegendPosition(Styler.LegendPosition.OutsideS);
        chart.getStyler().setLegendLayout(Styler.LegendLayout.Horizontal);
        chart.getStyler().setChartBackgroundColor(Color.WHITE);
        chart.getStyler().setPlotBackgroundColor(Color.WHITE);
        chart.getStyler().setPlotGridLinesColor(new Color(225, 225, 225));
        chart.getStyler().setXAxisDecimalPattern("#");
        chart.getStyler().setMarkerSize(5);
        double[] epochs = rows.stream().mapToDouble(r -> ((Number) r.get("epoch")).doubleValue()).toArray();
        int i = 0;
        for (Map.Entry<String, String> s : series.entrySet()) {
            double[] values = rows.stream().mapToDouble(r -> ((Number) r.get(s.getKey())).doubleValue()).toArray();
            XYSeries line = chart.addSeries(s.getValue(), epochs, values);
            line.setMarker(SeriesMarkers.CIRCLE);
            line.setLineColor(DIGIT_COLORS[i % DIGIT_COLORS.length]);
            line.setMarkerColor(DIGIT_COLORS[i % DIGIT_COLORS.length]);
            if (s.getValue().startsWith("validation")) line.setLineStyle(new BasicStroke(2f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10f, new float[]{6f, 4f}, 0f));
            i++;
        }
        return BitmapEncoder.getBufferedImage(chart);
    }

    /** Points coloured by digit label, with a legend of the ten digits. */
    public static BufferedImage scatter(String title, String xAxis, String yAxis, double[] x, double[] y, int[] labels,
                                        int width, int height) {
        XYChart chart = new XYChartBuilder().width(width).height(height).title(title).xAxisTitle(xAxis).yAxisTitle(yAxis).build();
        chart.getStyler().setDefaultSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Scatter);
        chart.getStyler().setLegendPosition(Styler.LegendPosition.OutsideE);
        chart.getStyler().setChartBackgroundColor(Color.WHITE);
        chart.getStyler().setPlotBackgroundColor(Color.WHITE);
        chart.getStyler().setMarkerSize(3);
        for (int digit = 0; digit < 10; digit++) {
            int count = 0;
            for (int label : labels) if (label == digit) count++;
            if (count == 0) continue;
            double[] xs = new double[count], ys = new double[count];
            for (int i = 0, k = 0; i < labels.length; i++) {
                if (labels[i] == digit) {
                    xs[k] = x[i];
                    ys[k++] = y[i];
                }
            }
            XYSeries s = chart.addSeries(String.valueOf(digit), xs, ys);
            s.setMarker(SeriesMarkers.CIRCLE);
            s.setMarkerColor(DIGIT_COLORS[digit]);
        }
        int unlabelled = 0;
        for (int label : labels) if (label < 0 || label > 9) unlabelled++;
        if (unlabelled > 0) { // images whose digit is unknown: grey
            double[] xs = new double[unlabelled], ys = new double[unlabelled];
            for (int i = 0, k = 0; i < labels.length; i++) {
                if (labels[i] < 0 || labels[i] > 9) {
                    xs[k] = x[i];
                    ys[k++] = y[i];
                }
            }
            XYSeries s = chart.addSeries("no label", xs, ys);
            s.setMarker(SeriesMarkers.CIRCLE);
            s.setMarkerColor(Color.BLACK);
        }
        return BitmapEncoder.getBufferedImage(chart);
    }

    public static BufferedImage sideBySide(BufferedImage... panels) {
        int width = 0, height = 0;
        for (BufferedImage p : panels) {
            width += p.getWidth();
            height = Math.max(height, p.getHeight());
        }
        BufferedImage out = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = out.createGraphics();
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, width, height);
        int x = 0;
        for (BufferedImage p : panels) {
            g.drawImage(p, x, 0, null);
            x += p.getWidth();
        }
        g.dispose();
        return out;
    }
}
