package org.fedtel.siteagent;

import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.stream.Stream;
import org.fedtel.protocol.v1.PrivacyParams;
import org.fedtel.protocol.v1.TrainConfig;
import org.fedtel.telemetry.detect.AnomalyModel;
import org.fedtel.telemetry.detect.Threshold;
import org.fedtel.telemetry.features.Windower;
import org.fedtel.telemetry.io.TelemetryCsv;
import org.fedtel.telemetry.io.TelemetryFormatException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Scores a site's live telemetry with the federation's latest global model, as {@code fedtel
 * detect} would: the telemetry module's {@link AnomalyModel} with the site's training window spec,
 * the scaling (the federation's, once its feature rounds have fitted one, {@link
 * #scalingReceived}; until then the site's own), the global parameters, and the threshold: the
 * federation's for that model when its score-histogram round has set one ({@link #thresholdReceived}),
 * otherwise the site's own, the same percentile of the model's scores on the site's training windows
 * that {@code fedtel detect}'s models use (that one never leaves the site). One line per anomalous
 * window is appended to the output.
 *
 * <p>The site learns each new global model from its {@code RoundResult} ({@link #modelReceived}) or,
 * when it missed that round, from the next {@code RoundStart} ({@link #observing} wraps the trainer to
 * see it). The committed round that produced it is found by its hash among the {@code RoundResult}s
 * this site received ({@link #roundCommitted}); the column is empty when this site did not take part
 * in that round. The SHA-256 is written too: it is the {@code model_sha256} of that round's entry in
 * the ledger.
 *
 * <p>Incremental and exactly once: the live data (a file, or a directory of files, in any reader
 * format, possibly growing) is read up to its last complete line; per file the cursor keeps the data
 * rows and bytes read so far and the SHA-256 of those bytes, and only windows ending after the
 * previous pass's last row are scored (the windower sees the whole file again, so windows that span
 * the boundary are complete). A pass appends its lines, fsyncs them, then replaces the cursor
 * atomically, recording the output's length; a pass that fails, or a crash before the cursor is
 * replaced, is undone by cutting the output back to the recorded length, and the windows are scored
 * again by the next pass. A file that shrank or whose scored part changed is an error, not a reset.
 *
 * <p>Passes run on the injected executor, never on the network carrier's thread, one at a time.
 */
public final class LiveScoring {
  private static final Logger LOG = LoggerFactory.getLogger(LiveScoring.class);
  static final String HEADER = "node,window_end,score,threshold,model_round,model_sha256\n";
  private static final String CURSOR_MAGIC = "fedtel-live-cursor 1";
  private static final int MODELS_KEPT = 16;
  private static final byte[] EMPTY_SHA256 = sha256().digest();

  /** What one pass did. {@code modelRound} is -1 when unknown, {@code modelSha256} empty without a model. */
  public record Pass(long modelRound, String modelSha256, double threshold, long windowsScored, long anomalies) {}

  /** Per live file: data rows and bytes already read, and the SHA-256 of those bytes. */
  private record Position(long rows, long bytes, byte[] sha256) {}

  private final Path data;
  private final Path output;
  private final Path cursorFile;
  private final AnomalyModel template;
  private final double[][] trainingWindows;
  private final double thresholdPercentile;
  private final Executor executor;
  private final Map<String, Long> roundsByModel = new HashMap<>();
  private volatile double[] latestModel;
  /** The federation's scaling (null: the template's) and its thresholds by model hash (hex). */
  private volatile org.fedtel.telemetry.features.Scaler scaling;
  private final Map<String, Double> federatedThresholds = new java.util.concurrent.ConcurrentHashMap<>();
  // Guarded by this.
  private Map<Path, Position> cursor = new LinkedHashMap<>();
  private long outputLength;
  private String detectorHash;
  private AnomalyModel detector;

  private LiveScoring(Path data, Path output, Path cursorFile, AnomalyModel template, double[][] trainingWindows,
                      double thresholdPercentile, Executor executor) {
    this.data = data;
    this.output = output;
    this.cursorFile = cursorFile;
    this.template = template;
    this.trainingWindows = trainingWindows;
    this.thresholdPercentile = thresholdPercentile;
    this.executor = executor;
  }

  /**
   * Opens live scoring, creating the output (owner-only, with a header line) or recovering it to
   * the length the cursor records.
   *
   * @param data the live telemetry file or directory (need not exist yet)
   * @param output where detections are appended
   * @param cursorFile where the scoring position is kept (in the site's state directory)
   * @param template the site's detector: window spec, metrics, scaler, autoencoder shape and
   *     reconstruction error of training; its parameters and threshold are replaced by each model's
   * @param trainingWindows the site's raw (unscaled) training windows, for the threshold (copied)
   * @param thresholdPercentile threshold = this percentile of the model's scores on them (99 as in
   *     {@code fedtel detect}'s models)
   * @param executor runs the passes (not the network carrier's thread)
   * @throws LiveScoringException if the cursor or the output is damaged or inconsistent
   */
  public static LiveScoring open(Path data, Path output, Path cursorFile, AnomalyModel template, double[][] trainingWindows,
                                 double thresholdPercentile, Executor executor) throws IOException, LiveScoringException {
    Objects.requireNonNull(template, "template");
    Objects.requireNonNull(executor, "executor");
    if (trainingWindows.length == 0) {
      throw new IllegalArgumentException("no training windows for the threshold");
    }
    int features = template.windows().featureCount(template.metrics().size());
    double[][] copy = new double[trainingWindows.length][];
    for (int i = 0; i < copy.length; i++) {
      if (trainingWindows[i].length != features) {
        throw new IllegalArgumentException("training window " + i + " has " + trainingWindows[i].length + " features, not " + features);
      }
      copy[i] = trainingWindows[i].clone();
    }
    if (!(thresholdPercentile >= 0 && thresholdPercentile <= 100)) {
      throw new IllegalArgumentException("threshold percentile must be in [0, 100], got " + thresholdPercentile);
    }
    LiveScoring live = new LiveScoring(data.toAbsolutePath(), output.toAbsolutePath(), cursorFile.toAbsolutePath(), template, copy,
        thresholdPercentile, executor);
    live.recover();
    return live;
  }

  private void recover() throws IOException, LiveScoringException {
    boolean hasCursor = Files.exists(cursorFile);
    if (hasCursor) {
      readCursor();
    }
    if (!Files.exists(output)) {
      if (hasCursor) {
        throw new LiveScoringException(output + ": missing, but " + cursorFile + " records " + outputLength
            + " bytes of detections; restore the file, or remove both to score the live data again from the start");
      }
      if (output.getParent() != null) {
        Files.createDirectories(output.getParent());
      }
      SiteState.createOwnerOnlyFile(output);
      Files.writeString(output, HEADER, StandardCharsets.UTF_8, StandardOpenOption.WRITE);
      try (FileChannel ch = FileChannel.open(output, StandardOpenOption.WRITE)) {
        ch.force(true);
      }
      outputLength = HEADER.length();
      writeCursor();
      return;
    }
    long size = Files.size(output);
    if (!hasCursor) {
      throw new LiveScoringException(output + ": exists, but no cursor (" + cursorFile + ") records which windows it holds; "
          + "move it away so that no window is reported twice");
    }
    if (size < outputLength) {
      throw new LiveScoringException(output + ": " + size + " bytes, shorter than the " + outputLength
          + " bytes of detections " + cursorFile + " records (truncated or replaced)");
    }
    if (size > outputLength) {
      // Lines of a pass whose cursor was never recorded: its windows will be scored again.
      try (FileChannel ch = FileChannel.open(output, StandardOpenOption.WRITE)) {
        ch.truncate(outputLength);
        ch.force(true);
      }
      LOG.warn("live scoring: cut {} back to {} bytes (lines of an unfinished pass)", output, outputLength);
    }
  }

  /** A trainer that reports each round's global model (the parameters of its RoundStart) before training. */
  public LocalTrainer observing(LocalTrainer trainer) {
    Objects.requireNonNull(trainer, "trainer");
    return new LocalTrainer() {
      @Override
      public long exampleCount() {
        return trainer.exampleCount();
      }

      @Override
      public byte[] datasetSha256() {
        return trainer.datasetSha256();
      }

      @Override
      public Validation validate(double[] global) {
        return trainer.validate(global);
      }

      @Override
      public LocalUpdate train(long round, double[] global, TrainConfig config, PrivacyParams privacy) {
        modelReceived(global);
        return trainer.train(round, global, config, privacy);
      }

      @Override
      public StatisticsSource statisticsSource() {
        return trainer.statisticsSource();
      }
    };
  }

  /** The federation's scaling (standardization of the signed-log values) from now on. */
  public void scalingReceived(org.fedtel.protocol.FeatureMoments.Fit fit) {
    org.fedtel.telemetry.features.Scaler s = org.fedtel.telemetry.features.Scaler.of(
        org.fedtel.telemetry.features.Scaler.Kind.SIGNED_LOG_STANDARD, fit.offset(), fit.scale());
    if (s.size() != template.scaler().size()) {
      throw new IllegalArgumentException("scaling of " + s.size() + " features, the detector has " + template.scaler().size());
    }
    scaling = s;
  }

  /** The federation's threshold of the model with SHA-256 {@code modelHash}. */
  public void thresholdReceived(byte[] modelHash, double threshold) {
    if (!(threshold >= 0) || Double.isInfinite(threshold)) {
      throw new IllegalArgumentException("threshold " + threshold);
    }
    federatedThresholds.put(HexFormat.of().formatHex(modelHash), threshold);
  }

  /** The latest global model this site received (copied). */
  public void modelReceived(double[] parameters) {
    if (parameters.length != template.config().parameterCount()) {
      throw new IllegalArgumentException("global model has " + parameters.length + " parameters, the detector "
          + template.config().parameterCount());
    }
    latestModel = parameters.clone();
  }

  /**
   * Round {@code round} committed with {@code newModelHash} (from its RoundResult): schedules a pass
   * on the executor. The future fails with a {@link LiveScoringException} or {@link IOException}
   * (as its cause) if the pass does; the failure is also logged, and the next pass tries again.
   */
  public CompletableFuture<Pass> roundCommitted(long round, byte[] newModelHash) {
    synchronized (roundsByModel) {
      roundsByModel.put(HexFormat.of().formatHex(newModelHash), round);
    }
    CompletableFuture<Pass> f;
    try {
      f = CompletableFuture.supplyAsync(() -> {
        try {
          return scoreNow();
        } catch (IOException | LiveScoringException e) {
          throw new CompletionException(e);
        }
      }, executor);
    } catch (RejectedExecutionException e) {
      // The agent is shutting down: the windows are scored by the next start's first pass.
      return CompletableFuture.failedFuture(e);
    }
    f.whenComplete((p, e) -> {
      if (e != null) {
        Throwable cause = e instanceof CompletionException && e.getCause() != null ? e.getCause() : e;
        LOG.error("live scoring after round {} failed: {}", round, cause.getMessage());
      }
    });
    return f;
  }

  /**
   * Scores the live windows not scored yet with the latest global model, on the calling thread.
   * Without a model yet, scores nothing.
   */
  public synchronized Pass scoreNow() throws IOException, LiveScoringException {
    double[] params = latestModel;
    if (params == null) {
      return new Pass(-1, "", Double.NaN, 0, 0);
    }
    String hash = HexFormat.of().formatHex(modelHash(params));
    // The detector changes with the model, the scaling and the threshold.
    org.fedtel.telemetry.features.Scaler s = scaling;
    String key = hash + "/" + (s == null ? "own" : Integer.toHexString(s.hashCode())) + "/" + federatedThresholds.get(hash);
    if (!key.equals(detectorHash)) {
      AnomalyModel m;
      try {
        m = detectorFor(params, s, federatedThresholds.get(hash));
      } catch (IllegalArgumentException e) {
        throw new LiveScoringException("global model " + hash + " cannot score this site's training windows: " + e.getMessage(), e);
      }
      // The detector as a file, so that `fedtel detect --model` flags what this pass flags.
      SiteState.writeAtomically(modelFile(), m.encode());
      detector = m;
      detectorHash = key;
    }
    long modelRound;
    synchronized (roundsByModel) {
      modelRound = roundsByModel.getOrDefault(hash, -1L);
    }
    AnomalyModel model = detector;
    Map<Path, Position> next = new LinkedHashMap<>();
    long[] counts = new long[2];
    long before = outputLength;
    boolean done = false;
    try (FileChannel out = FileChannel.open(output, StandardOpenOption.WRITE)) {
      out.truncate(before);
      out.position(before);
      Writer w = new BufferedWriter(Channels.newWriter(out, StandardCharsets.UTF_8));
      String suffix = "," + model.threshold() + "," + (modelRound < 0 ? "" : Long.toString(modelRound)) + "," + hash + "\n";
      for (Path file : liveFiles()) {
        Position from = cursor.getOrDefault(file, new Position(0, 0, EMPTY_SHA256));
        next.put(file, scoreFile(file, from, model, w, suffix, counts));
      }
      w.flush();
      out.force(true);
      long after = out.size();
      Map<Path, Position> previous = cursor;
      cursor = next;
      outputLength = after;
      try {
        writeCursor();
      } catch (IOException e) {
        cursor = previous;
        outputLength = before;
        throw e;
      }
      done = true;
    } catch (UncheckedIOException e) {
      throw e.getCause();
    } finally {
      if (!done) {
        try (FileChannel out = FileChannel.open(output, StandardOpenOption.WRITE)) {
          out.truncate(before);
          out.force(true);
        } catch (IOException e) {
          LOG.error("live scoring: cannot cut {} back to {} bytes: {}", output, before, e.getMessage());
        }
      }
    }
    Pass pass = new Pass(modelRound, hash, model.threshold(), counts[0], counts[1]);
    LOG.info("live scoring: {} windows scored, {} anomalous (threshold {}, model round {})", counts[0], counts[1],
        model.threshold(), modelRound < 0 ? "unknown" : modelRound);
    return pass;
  }

  /**
   * The detector of the latest pass ({@code global.model} next to the cursor): an {@link AnomalyModel}
   * file for {@code fedtel detect --model}, with the global parameters and this site's threshold.
   */
  public Path modelFile() {
    return cursorFile.resolveSibling("global.model");
  }

  /**
   * The detector for {@code params}: the template's windows, {@code scaler} (null: the template's),
   * and the federated threshold, or (null) one from the site's training windows.
   */
  private AnomalyModel detectorFor(double[] params, org.fedtel.telemetry.features.Scaler scaler, Double federated) {
    AnomalyModel m = scaler == null ? template.withParameters(params)
        : new AnomalyModel(template.windows(), template.metrics(), scaler, template.config(), params, template.error(), 0);
    if (federated != null) {
      return m.withThreshold(federated);
    }
    AnomalyModel.Scorer scorer = m.scorer();
    double[] scores = new double[trainingWindows.length];
    for (int i = 0; i < scores.length; i++) {
      scores[i] = scorer.score(trainingWindows[i]);
    }
    return m.withThreshold(Threshold.fromTrainingScores(scores, thresholdPercentile));
  }

  private List<Path> liveFiles() throws IOException {
    if (!Files.exists(data)) {
      return List.of(); // not created yet
    }
    if (!Files.isDirectory(data)) {
      return List.of(data);
    }
    List<Path> files = new ArrayList<>();
    try (Stream<Path> s = Files.list(data)) {
      s.filter(Files::isRegularFile)
          .filter(p -> !p.getFileName().toString().startsWith("."))
          .filter(p -> !p.equals(output) && !p.equals(cursorFile))
          .sorted()
          .forEach(files::add);
    }
    return files;
  }

  private Position scoreFile(Path file, Position from, AnomalyModel model, Writer w, String suffix, long[] counts)
      throws IOException, LiveScoringException {
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
      long limit = completeLength(ch);
      if (limit < from.bytes()) {
        throw new LiveScoringException(file + ": " + limit + " bytes of complete lines, fewer than the " + from.bytes()
            + " already scored (the file was truncated or replaced; move it away or remove " + cursorFile + ")");
      }
      if (limit == 0) {
        return from;
      }
      List<String> metrics;
      try {
        metrics = TelemetryCsv.layout(file).metrics();
      } catch (TelemetryFormatException e) {
        throw new LiveScoringException(e.getMessage(), e);
      }
      if (!metrics.equals(model.metrics())) {
        throw new LiveScoringException(file + ": metrics " + metrics + " do not match the training data's " + model.metrics());
      }
      ch.position(0);
      PrefixDigest in = new PrefixDigest(Channels.newInputStream(ch), limit, from.bytes());
      long[] rows = {0};
      AnomalyModel.Scorer scorer = model.scorer();
      Windower windower = new Windower(model.windows(), model.metrics().size(), (node, end, row, features, label) -> {
        if (row < from.rows()) {
          return; // scored by an earlier pass
        }
        double s = scorer.score(features);
        counts[0]++;
        if (scorer.isAnomalous(s)) {
          counts[1]++;
          try {
            w.write(csv(node) + "," + Instant.ofEpochMilli(end) + "," + s + suffix);
          } catch (IOException e) {
            throw new UncheckedIOException(e);
          }
        }
      });
      try (BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
        TelemetryCsv.read(file, r, (row, node, t, values, label) -> {
          rows[0] = row + 1;
          windower.accept(row, node, t, values, label);
        });
      } catch (TelemetryFormatException e) {
        throw new LiveScoringException(e.getMessage(), e);
      } catch (IllegalArgumentException e) {
        throw new LiveScoringException(file + ": " + e.getMessage(), e);
      }
      if (!in.prefixMatches(from.sha256())) {
        throw new LiveScoringException(file + ": the first " + from.bytes() + " bytes, already scored, have changed "
            + "(the file was rewritten; move it away or remove " + cursorFile + ")");
      }
      if (rows[0] < from.rows()) {
        throw new LiveScoringException(file + ": " + rows[0] + " data rows, fewer than the " + from.rows() + " already scored");
      }
      return new Position(rows[0], limit, in.digest());
    }
  }

  /** Length of the file up to and including its last newline: a line still being written is left for later. */
  static long completeLength(FileChannel ch) throws IOException {
    long pos = ch.size();
    ByteBuffer buf = ByteBuffer.allocate(8192);
    while (pos > 0) {
      int n = (int) Math.min(buf.capacity(), pos);
      long start = pos - n;
      buf.clear().limit(n);
      while (buf.hasRemaining()) {
        if (ch.read(buf, start + buf.position()) < 0) {
          break;
        }
      }
      for (int i = buf.position() - 1; i >= 0; i--) {
        if (buf.get(i) == '\n') {
          return start + i + 1;
        }
      }
      pos = start;
    }
    return 0;
  }

  /** Reads exactly {@code limit} bytes, hashing them, and keeps the hash of the first {@code prefix}. */
  private static final class PrefixDigest extends InputStream {
    private final InputStream in;
    private final long prefix;
    private final MessageDigest md = sha256();
    private long remaining;
    private long read;
    private byte[] prefixHash;

    PrefixDigest(InputStream in, long limit, long prefix) {
      this.in = in;
      this.remaining = limit;
      this.prefix = prefix;
      if (prefix == 0) {
        prefixHash = EMPTY_SHA256;
      }
    }

    @Override
    public int read() throws IOException {
      byte[] one = new byte[1];
      int n = read(one, 0, 1);
      return n < 0 ? -1 : one[0] & 0xFF;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      if (remaining == 0) {
        return -1;
      }
      int n = in.read(b, off, (int) Math.min(len, remaining));
      if (n < 0) {
        throw new IOException("file ended early while reading its first " + (read + remaining) + " bytes");
      }
      if (prefixHash == null && read + n >= prefix) {
        int head = (int) (prefix - read);
        md.update(b, off, head);
        try {
          prefixHash = ((MessageDigest) md.clone()).digest();
        } catch (CloneNotSupportedException e) {
          throw new IllegalStateException("SHA-256 digests are cloneable", e);
        }
        md.update(b, off + head, n - head);
      } else {
        md.update(b, off, n);
      }
      read += n;
      remaining -= n;
      return n;
    }

    boolean prefixMatches(byte[] expected) {
      return prefixHash != null && MessageDigest.isEqual(prefixHash, expected);
    }

    byte[] digest() {
      return md.digest();
    }

    @Override
    public void close() {
      // the channel is closed by its owner
    }
  }

  private void readCursor() throws IOException, LiveScoringException {
    List<String> lines = Files.readAllLines(cursorFile, StandardCharsets.UTF_8);
    if (lines.isEmpty() || !lines.get(0).equals(CURSOR_MAGIC)) {
      throw new LiveScoringException(cursorFile + ":1: not a live scoring cursor");
    }
    Map<Path, Position> read = new LinkedHashMap<>();
    Map<String, Long> models = new HashMap<>();
    long length = -1;
    for (int i = 1; i < lines.size(); i++) {
      String[] f = lines.get(i).split(" ", 5);
      try {
        if (f[0].equals("detections") && f.length == 2 && length < 0) {
          length = Long.parseLong(f[1]);
        } else if (f[0].equals("model") && f.length == 3) {
          long round = Long.parseLong(f[1]);
          if (round < 1 || HexFormat.of().parseHex(f[2]).length != 32) {
            throw new IllegalArgumentException("bad model line");
          }
          models.put(f[2], round);
        } else if (f[0].equals("file") && f.length == 5) {
          byte[] sha = HexFormat.of().parseHex(f[3]);
          long rows = Long.parseLong(f[1]);
          long bytes = Long.parseLong(f[2]);
          if (sha.length != 32 || rows < 0 || bytes < 0 || read.put(Path.of(f[4]), new Position(rows, bytes, sha)) != null) {
            throw new IllegalArgumentException("bad file position");
          }
        } else {
          throw new IllegalArgumentException("unexpected line");
        }
      } catch (IllegalArgumentException e) {
        throw new LiveScoringException(cursorFile + ":" + (i + 1) + ": malformed cursor line: " + e.getMessage());
      }
    }
    if (length < HEADER.length()) {
      throw new LiveScoringException(cursorFile + ": no valid detections length");
    }
    cursor = read;
    outputLength = length;
    synchronized (roundsByModel) {
      roundsByModel.putAll(models);
    }
  }

  private void writeCursor() throws IOException {
    StringBuilder b = new StringBuilder(CURSOR_MAGIC).append('\n');
    b.append("detections ").append(outputLength).append('\n');
    synchronized (roundsByModel) {
      // The newest models' rounds, so that a restarted site still knows which round its model came from.
      roundsByModel.entrySet().stream().sorted(Map.Entry.<String, Long>comparingByValue().reversed()).limit(MODELS_KEPT)
          .forEach(e -> b.append("model ").append(e.getValue()).append(' ').append(e.getKey()).append('\n'));
    }
    for (Map.Entry<Path, Position> e : cursor.entrySet()) {
      String name = e.getKey().toString();
      if (name.indexOf('\n') >= 0) {
        throw new IOException("live file name contains a newline: " + name);
      }
      Position p = e.getValue();
      b.append(String.format(Locale.ROOT, "file %d %d %s %s", p.rows(), p.bytes(), HexFormat.of().formatHex(p.sha256()), name))
          .append('\n');
    }
    SiteState.writeAtomically(cursorFile, b.toString().getBytes(StandardCharsets.UTF_8));
  }

  /** SHA-256 over the parameters as big-endian doubles: the model hash of RoundResult and the ledger. */
  static byte[] modelHash(double[] parameters) {
    ByteBuffer buf = ByteBuffer.allocate(parameters.length * Double.BYTES);
    for (double p : parameters) {
      buf.putDouble(p);
    }
    return sha256().digest(buf.array());
  }

  private static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is required of every Java platform", e);
    }
  }

  private static String csv(String s) {
    if (s.indexOf(',') < 0 && s.indexOf('"') < 0 && s.indexOf('\n') < 0) {
      return s;
    }
    return '"' + s.replace("\"", "\"\"") + '"';
  }
}
