package org.fedtel.simulations.experiment;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeSet;
import java.util.function.ToDoubleFunction;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import org.knowm.xchart.VectorGraphicsEncoder;
import org.knowm.xchart.VectorGraphicsEncoder.VectorGraphicsFormat;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.internal.chartpart.Chart;
import org.knowm.xchart.style.Styler.LegendPosition;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * Writes {@code report.html}: charts (SVG, inline, drawn with XChart) of detection quality against
 * epsilon with the baselines as reference lines, learning curves, epsilon spent per site, recall per
 * anomaly type, a table of final results, and the command that reproduces the sweep. The page has no
 * external assets and works offline.
 */
public final class Report {
  private static final int WIDTH = 720;
  private static final int HEIGHT = 420;
  private static final int MAX_CURVES = 12;

  private Report() {}

  /** One finished run and its rounds. */
  public record Run(RunSpec spec, List<RoundRecord> rounds) {
    public Run {
      rounds = List.copyOf(rounds);
      if (rounds.isEmpty()) {
        throw new IllegalArgumentException("run " + spec.id() + " has no rounds");
      }
    }

    RoundRecord last() {
      return rounds.get(rounds.size() - 1);
    }
  }

  /** Writes the report for {@code runs} (in sweep order) to {@code file}. */
  public static void write(Path file, String title, String command, List<Run> runs) throws IOException {
    Files.writeString(file, html(title, command, runs), StandardCharsets.UTF_8);
  }

  static String html(String title, String command, List<Run> runs) {
    StringBuilder body = new StringBuilder();
    body.append("<h1>").append(escape(title)).append("</h1>\n");
    body.append("<p>Reproduce with:</p><pre>").append(escape(command)).append("</pre>\n");
    if (runs.isEmpty()) {
      body.append("<p>No run finished.</p>\n");
      return page(title, body.toString());
    }
    List<Run> privateRuns = runs.stream().filter(r -> r.spec().kind() == RunKind.FEDERATED).toList();
    if (!privateRuns.isEmpty()) {
      body.append(section("F1 against epsilon", svg(qualityAgainstEpsilon(runs, "F1", q -> q.f1()))));
      body.append(section("ROC-AUC against epsilon", svg(qualityAgainstEpsilon(runs, "ROC-AUC", q -> q.rocAuc()))));
    }
    body.append(section("Learning curves (F1 on held-out data after each round)", svg(learningCurves(runs))));
    if (!privateRuns.isEmpty()) {
      body.append(section("Epsilon spent per site over rounds", svg(epsilonOverRounds(privateRuns))));
    }
    CategoryChart perType = recallPerType(runs);
    if (perType != null) {
      body.append(section("Recall per anomaly type (final round)", svg(perType)));
    }
    body.append(section("Final results", table(runs)));
    return page(title, body.toString());
  }

  private static XYChart qualityAgainstEpsilon(List<Run> runs, String metric, ToDoubleFunction<RoundRecord.Quality> value) {
    XYChart chart = new XYChartBuilder().width(WIDTH).height(HEIGHT)
        .title(metric + " against target epsilon").xAxisTitle("target epsilon (log scale)").yAxisTitle(metric).build();
    chart.getStyler().setXAxisLogarithmic(true);
    chart.getStyler().setLegendPosition(LegendPosition.OutsideS);
    chart.getStyler().setYAxisMin(0.0);
    chart.getStyler().setYAxisMax(1.0);
    double minEps = Double.POSITIVE_INFINITY;
    double maxEps = 0;
    Map<String, List<double[]>> curves = new LinkedHashMap<>();
    for (Run run : runs) {
      if (run.spec().kind() != RunKind.FEDERATED) {
        continue;
      }
      String name = String.format(Locale.ROOT, "federated, %s DP, %s", run.spec().privacy(), run.spec().dropout().label());
      curves.computeIfAbsent(name, k -> new ArrayList<>())
          .add(new double[] {run.spec().epsilon(), value.applyAsDouble(run.last().quality())});
      minEps = Math.min(minEps, run.spec().epsilon());
      maxEps = Math.max(maxEps, run.spec().epsilon());
    }
    for (Map.Entry<String, List<double[]>> c : curves.entrySet()) {
      List<double[]> pts = new ArrayList<>(c.getValue());
      pts.sort((a, b) -> Double.compare(a[0], b[0]));
      XYSeries s = chart.addSeries(c.getKey(), column(pts, 0), column(pts, 1));
      s.setMarker(SeriesMarkers.CIRCLE);
    }
    double lo = minEps / 1.5;
    double hi = maxEps * 1.5;
    for (Run run : runs) {
      if (run.spec().kind().isBaseline()) {
        double v = value.applyAsDouble(run.last().quality());
        String name = run.spec().kind().label() + (run.spec().kind() == RunKind.FEDERATED_NO_PRIVACY
            ? String.format(Locale.ROOT, " (%s)", run.spec().dropout().label()) : "");
        XYSeries s = chart.addSeries(name, new double[] {lo, hi}, new double[] {v, v});
        s.setMarker(SeriesMarkers.NONE);
      }
    }
    return chart;
  }

  private static XYChart learningCurves(List<Run> runs) {
    XYChart chart = new XYChartBuilder().width(WIDTH).height(HEIGHT)
        .title("Learning curves").xAxisTitle("round").yAxisTitle("F1").build();
    chart.getStyler().setLegendPosition(LegendPosition.OutsideS);
    chart.getStyler().setYAxisMin(0.0);
    chart.getStyler().setYAxisMax(1.0);
    int shown = 0;
    for (Run run : runs) {
      if (shown++ == MAX_CURVES) {
        break;
      }
      double[] x = new double[run.rounds().size()];
      double[] y = new double[x.length];
      for (int i = 0; i < x.length; i++) {
        x[i] = run.rounds().get(i).round();
        y[i] = run.rounds().get(i).quality().f1();
      }
      chart.addSeries(run.spec().id(), x, y).setMarker(SeriesMarkers.NONE);
    }
    return chart;
  }

  private static XYChart epsilonOverRounds(List<Run> privateRuns) {
    XYChart chart = new XYChartBuilder().width(WIDTH).height(HEIGHT)
        .title("Epsilon spent: largest and smallest over sites").xAxisTitle("round").yAxisTitle("epsilon spent").build();
    chart.getStyler().setLegendPosition(LegendPosition.OutsideS);
    int shown = 0;
    for (Run run : privateRuns) {
      if (shown++ == MAX_CURVES / 2) {
        break;
      }
      int n = run.rounds().size();
      double[] x = new double[n];
      double[] max = new double[n];
      double[] min = new double[n];
      for (int i = 0; i < n; i++) {
        RoundRecord r = run.rounds().get(i);
        x[i] = r.round();
        max[i] = r.maxEpsilon();
        double m = Double.POSITIVE_INFINITY;
        for (double e : r.epsilonPerSite()) {
          m = Math.min(m, e);
        }
        min[i] = Double.isInfinite(m) ? 0 : m;
      }
      chart.addSeries(run.spec().id() + " (max)", x, max).setMarker(SeriesMarkers.NONE);
      chart.addSeries(run.spec().id() + " (min)", x, min).setMarker(SeriesMarkers.NONE);
    }
    return chart;
  }

  private static CategoryChart recallPerType(List<Run> runs) {
    TreeSet<String> types = new TreeSet<>();
    for (Run run : runs) {
      types.addAll(run.last().quality().recallByType().keySet());
    }
    if (types.isEmpty()) {
      return null;
    }
    CategoryChart chart = new CategoryChartBuilder().width(WIDTH).height(HEIGHT)
        .title("Recall per anomaly type").xAxisTitle("anomaly type").yAxisTitle("recall").build();
    chart.getStyler().setLegendPosition(LegendPosition.OutsideS);
    chart.getStyler().setYAxisMin(0.0);
    chart.getStyler().setYAxisMax(1.0);
    chart.getStyler().setXAxisLabelRotation(30);
    List<String> typeList = new ArrayList<>(types);
    int shown = 0;
    for (Run run : runs) {
      if (shown++ == MAX_CURVES / 2) {
        break;
      }
      List<Double> recall = new ArrayList<>();
      for (String t : typeList) {
        recall.add(run.last().quality().recallByType().getOrDefault(t, 0.0));
      }
      chart.addSeries(run.spec().id(), typeList, recall);
    }
    return chart;
  }

  private static String table(List<Run> runs) {
    StringBuilder t = new StringBuilder("<table><tr><th>run</th><th>kind</th><th>privacy</th><th>target &epsilon;</th>"
        + "<th>dropout</th><th>rounds</th><th>F1</th><th>precision</th><th>recall</th><th>ROC-AUC</th><th>PR-AUC</th>"
        + "<th>max &epsilon; spent</th></tr>\n");
    for (Run run : runs) {
      RoundRecord last = run.last();
      RoundRecord.Quality q = last.quality();
      t.append("<tr><td>").append(escape(run.spec().id())).append("</td><td>").append(run.spec().kind().label())
          .append("</td><td>").append(run.spec().privacy()).append("</td><td>").append(run.spec().epsilonText())
          .append("</td><td>").append(escape(run.spec().dropout().label())).append("</td><td>").append(last.round())
          .append("</td><td>").append(f3(q.f1())).append("</td><td>").append(f3(q.precision()))
          .append("</td><td>").append(f3(q.recall())).append("</td><td>").append(f3(q.rocAuc()))
          .append("</td><td>").append(f3(q.prAuc())).append("</td><td>").append(f3(last.maxEpsilon()))
          .append("</td></tr>\n");
    }
    return t.append("</table>\n").toString();
  }

  private static String f3(double v) {
    return String.format(Locale.ROOT, "%.3f", v);
  }

  private static double[] column(List<double[]> pts, int i) {
    double[] c = new double[pts.size()];
    for (int k = 0; k < c.length; k++) {
      c[k] = pts.get(k)[i];
    }
    return c;
  }

  /** Renders a chart as an inline SVG element (the XML prolog and doctype removed). */
  static String svg(Chart<?, ?> chart) {
    chart.getStyler().setChartBackgroundColor(java.awt.Color.WHITE);
    chart.getStyler().setLegendBorderColor(java.awt.Color.LIGHT_GRAY);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try {
      VectorGraphicsEncoder.saveVectorGraphic(chart, out, VectorGraphicsFormat.SVG);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    String s = out.toString(StandardCharsets.UTF_8);
    int start = s.indexOf("<svg");
    if (start < 0) {
      throw new IllegalStateException("chart renderer produced no <svg> element");
    }
    return s.substring(start);
  }

  private static String section(String heading, String content) {
    return "<section><h2>" + escape(heading) + "</h2>\n" + content + "\n</section>\n";
  }

  private static String page(String title, String body) {
    return "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>" + escape(title) + "</title>\n"
        + "<style>body{font-family:sans-serif;max-width:980px;margin:2em auto;color:#222}"
        + "pre{background:#f4f4f4;padding:.6em;white-space:pre-wrap}table{border-collapse:collapse}"
        + "td,th{border:1px solid #ccc;padding:.25em .5em;text-align:right}td:first-child{text-align:left}"
        + "section svg{max-width:100%;height:auto}</style></head>\n<body>\n" + body + "</body></html>\n";
  }

  static String escape(String s) {
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
  }
}
