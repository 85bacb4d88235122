package org.fedtel.simulations.generator;

import java.util.List;
import java.util.Map;

/** The JSON of {@code manifest.json} and {@code site.json}, written by hand so that it is byte-stable. */
final class Manifest {
  private Manifest() {}

  static String json(GeneratorConfig c, GenerationSummary summary, TelemetryGenerator g) {
    StringBuilder b = new StringBuilder(4096);
    b.append("{\n");
    field(b, 1, "format", str(TelemetryGenerator.FORMAT)).append(",\n");
    field(b, 1, "seed", Long.toString(c.seed())).append(",\n");
    indent(b, 1).append("\"parameters\": {\n");
    field(b, 2, "sites", Integer.toString(c.sites())).append(",\n");
    field(b, 2, "nodes_per_site", Integer.toString(c.nodesPerSite())).append(",\n");
    field(b, 2, "duration_s", Long.toString(c.durationSeconds())).append(",\n");
    field(b, 2, "interval_s", Integer.toString(c.intervalSeconds())).append(",\n");
    field(b, 2, "anomaly_rate", Decimal.format(c.anomalyRate(), 6)).append(",\n");
    field(b, 2, "non_iid_alpha", Decimal.format(c.nonIidAlpha(), 6)).append(",\n");
    field(b, 2, "size_spread", Decimal.format(c.sizeSpread(), 6)).append(",\n");
    field(b, 2, "start_unix_s", Long.toString(c.startEpochSecond())).append(",\n");
    StringBuilder types = new StringBuilder("[");
    for (int i = 0; i < c.anomalyTypes().size(); i++) {
      types.append(i == 0 ? "" : ", ").append(str(c.anomalyTypes().get(i).label()));
    }
    field(b, 2, "anomaly_types", types.append("]").toString()).append(",\n");
    field(b, 2, "intensity_min", Decimal.format(c.intensityMin(), 6)).append(",\n");
    field(b, 2, "intensity_max", Decimal.format(c.intensityMax(), 6)).append("\n");
    indent(b, 1).append("},\n");
    field(b, 1, "timestamp", str("Unix seconds, UTC")).append(",\n");
    field(b, 1, "label", str("normal, or the anomaly type; intensity per episode in each site.json")).append(",\n");
    StringBuilder cols = new StringBuilder("[\"timestamp\", \"node\"");
    for (String m : Metric.columns()) {
      cols.append(", ").append(str(m));
    }
    field(b, 1, "columns", cols.append(", \"label\"]").toString()).append(",\n");
    field(b, 1, "samples", Long.toString(summary.samples())).append(",\n");
    field(b, 1, "anomalous_samples", Long.toString(summary.anomalous())).append(",\n");
    field(b, 1, "label_counts", counts(summary.samples() - summary.anomalous(), summary.anomalousSamples())).append(",\n");
    indent(b, 1).append("\"sites\": [\n");
    List<SiteSummary> sites = summary.sites();
    for (int i = 0; i < sites.size(); i++) {
      SiteSummary s = sites.get(i);
      indent(b, 2).append("{\"directory\": ").append(str(s.directory()))
          .append(", \"nodes\": ").append(s.nodes())
          .append(", \"hardware\": ").append(str(s.hardware()))
          .append(", \"samples\": ").append(s.samples())
          .append(", \"episodes\": ").append(s.episodes())
          .append(", \"jobs\": ").append(s.jobs())
          .append(", \"label_counts\": ").append(counts(s.samples() - s.anomalous(), s.anomalousSamples()))
          .append(i + 1 < sites.size() ? "},\n" : "}\n");
    }
    indent(b, 1).append("]\n");
    return b.append("}\n").toString();
  }

  static String siteJson(GeneratorConfig c, SitePlan plan, SiteSummary summary, TelemetryGenerator g) {
    SiteProfile p = plan.profile;
    Hardware h = p.hardware();
    StringBuilder b = new StringBuilder(4096);
    b.append("{\n");
    field(b, 1, "site", Integer.toString(p.index())).append(",\n");
    field(b, 1, "directory", str(summary.directory())).append(",\n");
    field(b, 1, "nodes", Integer.toString(p.nodes())).append(",\n");
    indent(b, 1).append("\"hardware\": {\"class\": ").append(str(h.name()))
        .append(", \"cores\": ").append(h.cores())
        .append(", \"mem_kb\": ").append(h.memKb())
        .append(", \"nic_bytes_per_s\": ").append(Decimal.format(h.nicBytesPerSecond(), 0))
        .append(", \"mem_bw_bytes_per_s\": ").append(Decimal.format(h.memBandwidthBytesPerSecond(), 0))
        .append(", \"fs_bytes_per_s\": ").append(Decimal.format(h.fsBytesPerSecond(), 0))
        .append(", \"idle_w\": ").append(Decimal.format(h.idleWatts(), 1))
        .append(", \"max_w\": ").append(Decimal.format(h.maxWatts(), 1)).append("},\n");
    indent(b, 1).append("\"app_mix\": {");
    double[] mix = p.appMix();
    for (int a = 0; a < mix.length; a++) {
      App app = AppCatalogue.APPS.get(a);
      b.append(a == 0 ? "" : ", ").append(str(app.name())).append(": ").append(Decimal.format(mix[a], 6));
    }
    b.append("},\n");
    field(b, 1, "mean_idle_gap_s", Decimal.format(p.meanIdleGapSeconds(), 1)).append(",\n");
    field(b, 1, "max_job_nodes", Integer.toString(p.maxJobNodes())).append(",\n");
    field(b, 1, "jobs", Integer.toString(summary.jobs())).append(",\n");
    field(b, 1, "samples", Long.toString(summary.samples())).append(",\n");
    field(b, 1, "label_counts", counts(summary.samples() - summary.anomalous(), summary.anomalousSamples()))
        .append(",\n");
    indent(b, 1).append("\"episodes\": [\n");
    List<AnomalyEpisode> eps = plan.episodes;
    int width = Math.max(4, Integer.toString(Math.max(0, p.nodes() - 1)).length());
    for (int i = 0; i < eps.size(); i++) {
      AnomalyEpisode e = eps.get(i);
      long start = c.startEpochSecond() + (long) e.startStep() * c.intervalSeconds();
      long end = c.startEpochSecond() + (long) e.endStep() * c.intervalSeconds();
      String file = "node-" + "0".repeat(Math.max(0, width - Integer.toString(e.node()).length())) + e.node() + ".csv";
      indent(b, 2).append("{\"node\": ").append(str(g.nodeName(p.index(), e.node())))
          .append(", \"file\": ").append(str(file))
          .append(", \"type\": ").append(str(e.type().label()))
          .append(", \"intensity\": ").append(Decimal.format(e.intensity(), 2))
          .append(", \"start\": ").append(start)
          .append(", \"end\": ").append(end)
          .append(", \"samples\": ").append(e.length())
          .append(i + 1 < eps.size() ? "},\n" : "}\n");
    }
    indent(b, 1).append("]\n");
    return b.append("}\n").toString();
  }

  private static String counts(long normal, Map<AnomalyType, Long> anomalous) {
    StringBuilder b = new StringBuilder("{\"normal\": ").append(normal);
    for (Map.Entry<AnomalyType, Long> e : anomalous.entrySet()) {
      b.append(", ").append(str(e.getKey().label())).append(": ").append(e.getValue());
    }
    return b.append('}').toString();
  }

  private static StringBuilder field(StringBuilder b, int depth, String name, String value) {
    return indent(b, depth).append(str(name)).append(": ").append(value);
  }

  private static StringBuilder indent(StringBuilder b, int depth) {
    return b.append("  ".repeat(depth));
  }

  /** A JSON string; the values here are plain ASCII names, but escape anyway. */
  private static String str(String s) {
    StringBuilder b = new StringBuilder(s.length() + 2).append('"');
    for (int i = 0; i < s.length(); i++) {
      char ch = s.charAt(i);
      if (ch == '"' || ch == '\\') {
        b.append('\\').append(ch);
      } else if (ch < 0x20) {
        b.append(String.format("\\u%04x", (int) ch));
      } else {
        b.append(ch);
      }
    }
    return b.append('"').toString();
  }
}
