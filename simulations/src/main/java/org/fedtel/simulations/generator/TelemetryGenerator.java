package org.fedtel.simulations.generator;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.Files;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.LongConsumer;
import java.util.stream.Stream;

/**
 * Synthetic HPC node telemetry for many sites, with HPAS anomalies and ground-truth labels
 * (docs/DATA.md). Every site, and every node within it, draws from its own random stream derived
 * from the seed and its index, so the output does not depend on how many threads generate it or in
 * which order: the same config gives byte-identical files.
 *
 * <pre>{@code
 * TelemetryGenerator g = new TelemetryGenerator(GeneratorConfig.builder().sites(10).seed(7).build());
 * g.writeTo(Path.of("data"), 2, nodes -> {});        // data/manifest.json, data/site-000/node-0000.csv, ...
 * g.generateSite(0, (node, time, values, label, intensity) -> ...);   // or in memory
 * }</pre>
 */
public final class TelemetryGenerator {
  /** The format name written into every manifest. */
  public static final String FORMAT = "fedtel-synthetic-hpc-telemetry/1";

  private final GeneratorConfig config;
  private final SplitMix root;
  private final SiteProfile[] profiles;

  public TelemetryGenerator(GeneratorConfig config) {
    if (config == null) {
      throw new IllegalArgumentException("config is required");
    }
    this.config = config;
    this.root = new SplitMix(config.seed());
    this.profiles = new SiteProfile[config.sites()];
    for (int s = 0; s < profiles.length; s++) {
      profiles[s] = SiteProfile.draw(config, s, root.fork(s).fork(0));
    }
  }

  public GeneratorConfig config() {
    return config;
  }

  /** Number of nodes of {@code site}. */
  public int nodes(int site) {
    return profiles[checkSite(site)].nodes();
  }

  /** Number of nodes over all sites (the progress total of {@link #writeTo}). */
  public long totalNodes() {
    long n = 0;
    for (SiteProfile p : profiles) {
      n += p.nodes();
    }
    return n;
  }

  /** The directory name of {@code site}, e.g. {@code site-007}. */
  public String siteDirectory(int site) {
    return "site-" + pad(checkSite(site), Math.max(3, digits(config.sites() - 1)));
  }

  /** The node column value of a node, unique over the run, e.g. {@code s007-n0012}. */
  public String nodeName(int site, int node) {
    return "s" + pad(site, Math.max(3, digits(config.sites() - 1))) + "-n" + pad(node, nodeWidth(site));
  }

  /** The anomaly episodes of {@code site}, sorted by node and start. */
  public List<AnomalyEpisode> episodes(int site) {
    SiteProfile p = profiles[checkSite(site)];
    return SitePlan.placeAnomalies(config, p.nodes(), config.steps(), root.fork(site).fork(2));
  }

  /** Generates one site into {@code sink}, node after node, each node in time order. */
  public SiteSummary generateSite(int site, SampleSink sink) {
    SitePlan plan = plan(site);
    long[] counts = new long[AnomalyType.values().length];
    double[] values = new double[Metric.COUNT];
    for (int node = 0; node < plan.profile.nodes(); node++) {
      runNode(site, plan, node, values, counts, sink);
    }
    return summary(site, plan, counts);
  }

  /**
   * Writes every site under {@code dir} (created if absent; must be empty) using {@code threads}
   * threads, then {@code manifest.json}, which is written last: its presence marks a complete run.
   * {@code nodesDone} is called (from worker threads) after each node file.
   */
  public GenerationSummary writeTo(Path dir, int threads, LongConsumer nodesDone) throws IOException {
    if (threads < 1) {
      throw new IllegalArgumentException("threads must be >= 1, was " + threads);
    }
    if (Files.exists(dir)) {
      if (!Files.isDirectory(dir)) {
        throw new NotDirectoryException(dir.toString());
      }
      try (Stream<Path> entries = Files.list(dir)) {
        if (entries.findAny().isPresent()) {
          throw new DirectoryNotEmptyException(dir.toString());
        }
      }
    }
    Files.createDirectories(dir);
    ExecutorService pool = Executors.newFixedThreadPool(threads, r -> {
      Thread t = new Thread(r, "fedtel-generator");
      t.setDaemon(true);
      return t;
    });
    try {
      List<Future<SiteSummary>> futures = new ArrayList<>();
      for (int s = 0; s < config.sites(); s++) {
        int site = s;
        futures.add(pool.submit(() -> writeSite(dir, site, nodesDone)));
      }
      List<SiteSummary> sites = new ArrayList<>();
      for (Future<SiteSummary> f : futures) {
        sites.add(f.get());
      }
      GenerationSummary summary = new GenerationSummary(sites);
      Path tmp = dir.resolve("manifest.json.tmp");
      Files.writeString(tmp, Manifest.json(config, summary, this), StandardCharsets.UTF_8);
      Files.move(tmp, dir.resolve("manifest.json"), StandardCopyOption.ATOMIC_MOVE);
      return summary;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while generating", e);
    } catch (ExecutionException e) {
      Throwable c = e.getCause();
      if (c instanceof UncheckedIOException u) {
        throw u.getCause();
      }
      if (c instanceof IOException io) {
        throw io;
      }
      if (c instanceof RuntimeException r) {
        throw r;
      }
      throw new IllegalStateException(c);
    } finally {
      pool.shutdownNow();
    }
  }

  private SiteSummary writeSite(Path dir, int site, LongConsumer nodesDone) throws IOException {
    Path siteDir = dir.resolve(siteDirectory(site));
    Files.createDirectories(siteDir);
    int width = nodeWidth(site);
    SitePlan plan = plan(site);
    SiteSummary summary = writeCsv(site, plan, node -> Files.newOutputStream(siteDir.resolve("node-" + pad(node, width)
        + ".csv")), nodesDone);
    try (BufferedWriter w = Files.newBufferedWriter(siteDir.resolve("site.json"), StandardCharsets.UTF_8)) {
      w.write(Manifest.siteJson(config, plan, summary, this));
    }
    return summary;
  }

  /**
   * Writes each node of {@code site} as CSV (the format of the node files of {@link #writeTo}) to
   * the stream {@code streams} opens for it, and closes it.
   */
  public SiteSummary writeSiteCsv(int site, NodeStreams streams) throws IOException {
    return writeCsv(site, plan(site), streams, n -> {});
  }

  private SiteSummary writeCsv(int site, SitePlan plan, NodeStreams streams, LongConsumer nodesDone)
      throws IOException {
    long[] counts = new long[AnomalyType.values().length];
    double[] values = new double[Metric.COUNT];
    for (int node = 0; node < plan.profile.nodes(); node++) {
      try (OutputStream os = streams.open(node);
          NodeCsvWriter w = new NodeCsvWriter(os, nodeName(site, node))) {
        runNode(site, plan, node, values, counts, (n, time, v, label, x) -> {
          try {
            w.row(time, v, label);
          } catch (IOException e) {
            throw new UncheckedIOException(e);
          }
        });
      } catch (UncheckedIOException e) {
        throw e.getCause();
      }
      nodesDone.accept(1);
    }
    return summary(site, plan, counts);
  }

  private SitePlan plan(int site) {
    return SitePlan.build(config, profiles[checkSite(site)], root.fork(site));
  }

  private void runNode(int site, SitePlan plan, int node, double[] values, long[] counts, SampleSink sink) {
    SiteProfile p = plan.profile;
    NodeSimulator sim = new NodeSimulator(p.hardware(), config.intervalSeconds(), p.inletBaseC(),
        p.dailyPhaseSeconds(), root.fork(site).fork(1000L + node));
    byte[] phase = plan.phase[node];
    int[] job = plan.job[node];
    byte[] speed = plan.speed[node];
    short[] episodeAt = plan.episodeAt[node];
    List<AnomalyEpisode> episodes = plan.episodes;
    int total = plan.burnIn + plan.steps;
    for (int s = 0; s < total; s++) {
      int w = s - plan.burnIn;
      long time = config.startEpochSecond() + (long) w * config.intervalSeconds();
      AnomalyType type = null;
      double x = 0;
      int age = 0;
      if (w >= 0 && episodeAt[w] >= 0) {
        AnomalyEpisode ep = episodes.get(episodeAt[w]);
        type = ep.type();
        x = ep.intensity();
        age = w - ep.startStep();
      }
      sim.step(phase[s] & 0xFF, job[s], (speed[s] & 0xFF) / 255.0, type, x, age, time, values);
      if (w >= 0) {
        if (type != null) {
          counts[type.ordinal()]++;
        }
        sink.sample(node, time, values, type, x);
      }
    }
  }

  private SiteSummary summary(int site, SitePlan plan, long[] counts) {
    Map<AnomalyType, Long> m = new EnumMap<>(AnomalyType.class);
    for (AnomalyType t : AnomalyType.values()) {
      m.put(t, counts[t.ordinal()]);
    }
    return new SiteSummary(site, siteDirectory(site), plan.profile.nodes(), plan.profile.hardware().name(),
        (long) plan.profile.nodes() * plan.steps, m, plan.episodes.size(), plan.jobsStarted);
  }

  SiteProfile profile(int site) {
    return profiles[checkSite(site)];
  }

  private int nodeWidth(int site) {
    return Math.max(4, digits(profiles[site].nodes() - 1));
  }

  private int checkSite(int site) {
    if (site < 0 || site >= profiles.length) {
      throw new IllegalArgumentException("site " + site + " out of range [0, " + profiles.length + ")");
    }
    return site;
  }

  private static int digits(long v) {
    return Long.toString(Math.max(0, v)).length();
  }

  private static String pad(int v, int width) {
    String s = Integer.toString(v);
    return s.length() >= width ? s : "0".repeat(width - s.length()) + s;
  }
}
