package org.fedtel.benchmarks.generator;

import java.io.IOException;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import org.fedtel.simulations.generator.GeneratorConfig;
import org.fedtel.simulations.generator.TelemetryGenerator;

/**
 * The scale target of issue 7: 100 sites x 16 nodes x one day at 10 s on 2 threads. A timed main
 * rather than JMH because one run writes gigabytes; it measures four things in one run so that the
 * generator is compared with a baseline on the same machine at the same moment:
 *
 * <ol>
 *   <li>simulate: every sample computed, nothing formatted;
 *   <li>format: samples formatted as CSV into a stream that discards them;
 *   <li>write: {@code TelemetryGenerator.writeTo} on disk, as {@code fedtel data generate} does;
 *   <li>baseline: the same number of bytes, in the same number of files, written raw to the same disk.
 * </ol>
 *
 * <pre>java -cp benchmarks/target/benchmarks.jar org.fedtel.benchmarks.generator.GeneratorScale
 *     [sites] [nodes-per-site] [duration-s] [threads] [scratch-dir]</pre>
 */
public final class GeneratorScale {
  private GeneratorScale() {}

  public static void main(String[] args) throws Exception {
    int sites = args.length > 0 ? Integer.parseInt(args[0]) : 100;
    int nodes = args.length > 1 ? Integer.parseInt(args[1]) : 16;
    long duration = args.length > 2 ? Long.parseLong(args[2]) : 86_400;
    int threads = args.length > 3 ? Integer.parseInt(args[3]) : 2;
    Path scratch = args.length > 4 ? Path.of(args[4]) : Path.of(System.getProperty("java.io.tmpdir"));
    GeneratorConfig config = GeneratorConfig.builder().sites(sites).nodesPerSite(nodes).durationSeconds(duration)
        .intervalSeconds(10).anomalyRate(0.05).seed(1).build();
    TelemetryGenerator g = new TelemetryGenerator(config);
    long samples = g.totalNodes() * config.steps();
    System.out.printf(Locale.ROOT, "%d sites x %d nodes x %d s at 10 s = %d samples, %d threads, load average %.1f%n",
        sites, nodes, duration, samples, threads, ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage());

    AtomicLong sink = new AtomicLong();
    Measure sim = time(() -> parallel(sites, threads, s -> {
      double[] acc = new double[1];
      g.generateSite(s, (node, t, v, label, x) -> acc[0] += v[0]);
      sink.addAndGet((long) acc[0]);
    }));
    report("simulate (no output)", sim, samples, 0);

    AtomicLong formatted = new AtomicLong();
    Measure fmt = time(() -> parallel(sites, threads, s -> g.writeSiteCsv(s, node -> new Counting(formatted))));
    report("format CSV to a null stream", fmt, samples, formatted.get());

    Path out = Files.createTempDirectory(scratch, "fedtel-gen-bench");
    Measure write;
    long bytes;
    try {
      write = time(() -> g.writeTo(out.resolve("data"), threads, n -> {}));
      bytes = size(out);
    } finally {
      delete(out);
    }
    report("write to disk (fedtel data generate)", write, samples, bytes);

    Path raw = Files.createTempDirectory(scratch, "fedtel-raw-bench");
    long files = g.totalNodes();
    long perFile = bytes / files;
    Measure base;
    try {
      base = time(() -> parallel((int) files, threads, f -> {
        byte[] buf = new byte[1 << 18];
        java.util.Arrays.fill(buf, (byte) '7');
        try (OutputStream os = Files.newOutputStream(raw.resolve("f" + f + ".csv"))) {
          for (long left = perFile; left > 0; left -= buf.length) {
            os.write(buf, 0, (int) Math.min(buf.length, left));
          }
        }
      }));
    } finally {
      delete(raw);
    }
    report("baseline: raw write of the same bytes", base, samples, perFile * files);
    System.out.printf(Locale.ROOT, "ratio write / baseline (wall) = %.2f; simulate share of write CPU = %.0f %%%n",
        write.wallSeconds / base.wallSeconds, 100 * sim.cpuSeconds / write.cpuSeconds);
    if (sink.get() == 42) {
      System.out.println();
    }
  }

  interface SiteTask {
    void run(int site) throws Exception;
  }

  interface Work {
    void run() throws Exception;
  }

  record Measure(double wallSeconds, double cpuSeconds) {}

  static Measure time(Work w) throws Exception {
    com.sun.management.OperatingSystemMXBean os =
        (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
    long cpu0 = os.getProcessCpuTime();
    long t0 = System.nanoTime();
    w.run();
    return new Measure((System.nanoTime() - t0) / 1e9, (os.getProcessCpuTime() - cpu0) / 1e9);
  }

  static void report(String what, Measure m, long samples, long bytes) {
    System.out.printf(Locale.ROOT, "%-40s wall %7.1f s  cpu %7.1f s  %6.2f M samples/s (wall)%s%n", what,
        m.wallSeconds, m.cpuSeconds, samples / m.wallSeconds / 1e6,
        bytes > 0 ? String.format(Locale.ROOT, "  %.2f GB, %.0f MB/s", bytes / 1e9, bytes / 1e6 / m.wallSeconds) : "");
  }

  static void parallel(int n, int threads, SiteTask task) throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try {
      List<Future<?>> fs = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        int k = i;
        fs.add(pool.submit(() -> {
          task.run(k);
          return null;
        }));
      }
      for (Future<?> f : fs) {
        f.get();
      }
    } finally {
      pool.shutdownNow();
    }
  }

  static long size(Path dir) throws IOException {
    try (Stream<Path> s = Files.walk(dir)) {
      return s.filter(Files::isRegularFile).mapToLong(p -> p.toFile().length()).sum();
    }
  }

  static void delete(Path dir) throws IOException {
    try (Stream<Path> s = Files.walk(dir)) {
      for (Path p : (Iterable<Path>) s.sorted(Comparator.reverseOrder())::iterator) {
        Files.deleteIfExists(p);
      }
    }
  }

  /** Counts and discards. */
  static final class Counting extends OutputStream {
    private final AtomicLong count;

    Counting(AtomicLong count) {
      this.count = count;
    }

    @Override
    public void write(int b) {
      count.incrementAndGet();
    }

    @Override
    public void write(byte[] b, int off, int len) {
      count.addAndGet(len);
    }
  }
}
