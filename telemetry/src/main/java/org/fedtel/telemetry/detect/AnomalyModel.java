package org.fedtel.telemetry.detect;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.random.RandomGenerator;
import org.fedtel.telemetry.features.FeatureMode;
import org.fedtel.telemetry.features.Scaler;
import org.fedtel.telemetry.features.WindowSpec;
import org.fedtel.telemetry.model.Activation;
import org.fedtel.telemetry.model.Adam;
import org.fedtel.telemetry.model.Autoencoder;
import org.fedtel.telemetry.model.AutoencoderConfig;
import org.fedtel.telemetry.model.ReconstructionError;
import org.fedtel.telemetry.model.Training;
import org.fedtel.telemetry.model.TrainingConfig;

/**
 * A complete autoencoder detector: how to window and scale the telemetry, the trained autoencoder,
 * the anomaly score and its threshold. Immutable; serialized by {@link #encode()} in a versioned
 * binary format whose SHA-256 ({@link #sha256Hex()}) the ledger records.
 *
 * <p>Format version 1 (big-endian, {@link DataOutputStream} primitives):
 * <pre>
 * magic "FTLM", u16 version = 1
 * i32 window length, i32 step, u8 mode (0 statistics, 1 raw)
 * i32 metric count, UTF metric names
 * u8 scaler kind (0 standard, 1 min-max, 2 signed-log standard), i32 n, n x f64 offset, n x f64 scale
 * i32 input size, i32 hidden count, i32 sizes, u8 hidden activation, u8 output activation
 * i32 parameter count, f64 parameters
 * u8 reconstruction error, f64 threshold
 * </pre>
 * Decoding checks every field and rejects trailing bytes.
 */
public final class AnomalyModel {
  private static final byte[] MAGIC = {'F', 'T', 'L', 'M'};
  /** Current format version. */
  public static final int FORMAT_VERSION = 1;
  private static final int MAX_METRICS = 100_000;

  private final WindowSpec windows;
  private final List<String> metrics;
  private final Scaler scaler;
  private final AutoencoderConfig config;
  private final double[] parameters;
  private final ReconstructionError error;
  private final double threshold;

  public AnomalyModel(WindowSpec windows, List<String> metrics, Scaler scaler, AutoencoderConfig config,
                      double[] parameters, ReconstructionError error, double threshold) {
    this.windows = windows;
    this.metrics = List.copyOf(metrics);
    this.scaler = scaler;
    this.config = config;
    this.error = error;
    if (metrics.isEmpty()) {
      throw new IllegalArgumentException("no metrics");
    }
    int features = windows.featureCount(metrics.size());
    if (scaler.size() != features || config.inputSize() != features) {
      throw new IllegalArgumentException("feature counts disagree: windows give " + features + ", scaler "
          + scaler.size() + ", autoencoder input " + config.inputSize());
    }
    if (parameters.length != config.parameterCount()) {
      throw new IllegalArgumentException("expected " + config.parameterCount() + " parameters, got " + parameters.length);
    }
    Autoencoder.withParameters(config, parameters); // validates finiteness
    if (!Double.isFinite(threshold)) {
      throw new IllegalArgumentException("threshold is not finite: " + threshold);
    }
    this.parameters = parameters.clone();
    this.threshold = threshold;
  }

  /**
   * Trains a detector on windows of normal operation: fits the scaler, trains the autoencoder and
   * sets the threshold at the configured percentile of the training scores.
   */
  public static AnomalyModel train(WindowSpec windows, List<String> metrics, double[][] features,
                                   DetectorSettings settings, RandomGenerator random) {
    if (features.length == 0) {
      throw new IllegalArgumentException("no training windows");
    }
    Scaler scaler = Scaler.fit(settings.scaler(), features);
    double[][] x = scaler.transform(features);
    Activation out = Activation.IDENTITY; // scaled features are unbounded (standard) or may leave [0,1] (min-max)
    AutoencoderConfig config = new AutoencoderConfig(x[0].length, settings.hidden(), settings.activation(), out);
    Autoencoder ae = Autoencoder.initialize(config, random);
    Training.fit(ae, x, new TrainingConfig(settings.epochs(), settings.batchSize(), 0),
        new Adam(settings.learningRate()), null, random);
    double[] scores = new double[x.length];
    for (int i = 0; i < x.length; i++) {
      scores[i] = ae.score(x[i], settings.error());
    }
    double threshold = Threshold.fromTrainingScores(scores, settings.thresholdPercentile());
    return new AnomalyModel(windows, metrics, scaler, config, ae.parameters(), settings.error(), threshold);
  }

  public WindowSpec windows() {
    return windows;
  }

  public List<String> metrics() {
    return metrics;
  }

  public Scaler scaler() {
    return scaler;
  }

  public AutoencoderConfig config() {
    return config;
  }

  public double[] parameters() {
    return parameters.clone();
  }

  public ReconstructionError error() {
    return error;
  }

  public double threshold() {
    return threshold;
  }

  /** The same model with another threshold. */
  public AnomalyModel withThreshold(double newThreshold) {
    return new AnomalyModel(windows, metrics, scaler, config, parameters, error, newThreshold);
  }

  /** The same detector with other autoencoder parameters (e.g. the global model after a round). */
  public AnomalyModel withParameters(double[] newParameters) {
    return new AnomalyModel(windows, metrics, scaler, config, newParameters, error, threshold);
  }

  /** A scorer for raw (unscaled) window features; not thread-safe, make one per thread. */
  public Scorer scorer() {
    return new Scorer();
  }

  /** Scores raw window features with this model; holds scratch buffers. */
  public final class Scorer {
    private final Autoencoder ae = Autoencoder.withParameters(config, parameters);
    private final double[] scaled = new double[config.inputSize()];

    private Scorer() {}

    /** Anomaly score of one window's raw features. */
    public double score(double[] features) {
      scaler.transform(features, scaled);
      return ae.score(scaled, error);
    }

    /** Score at or above the threshold. */
    public boolean isAnomalous(double score) {
      return score >= threshold;
    }
  }

  /** The versioned binary encoding. */
  public byte[] encode() {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (DataOutputStream out = new DataOutputStream(bytes)) {
      out.write(MAGIC);
      out.writeShort(FORMAT_VERSION);
      out.writeInt(windows.length());
      out.writeInt(windows.step());
      out.writeByte(windows.mode().ordinal());
      out.writeInt(metrics.size());
      for (String m : metrics) {
        out.writeUTF(m);
      }
      out.writeByte(scaler.kind().ordinal());
      double[] off = scaler.offset();
      double[] sc = scaler.scale();
      out.writeInt(off.length);
      for (double v : off) {
        out.writeDouble(v);
      }
      for (double v : sc) {
        out.writeDouble(v);
      }
      out.writeInt(config.inputSize());
      int[] hidden = config.hidden();
      out.writeInt(hidden.length);
      for (int h : hidden) {
        out.writeInt(h);
      }
      out.writeByte(config.hiddenActivation().ordinal());
      out.writeByte(config.outputActivation().ordinal());
      out.writeInt(parameters.length);
      for (double p : parameters) {
        out.writeDouble(p);
      }
      out.writeByte(error.ordinal());
      out.writeDouble(threshold);
    } catch (IOException e) {
      throw new IllegalStateException("in-memory write failed", e);
    }
    return bytes.toByteArray();
  }

  /** SHA-256 of {@link #encode()}, lower-case hex: the content hash the ledger records. */
  public String sha256Hex() {
    return HexFormat.of().formatHex(sha256(encode()));
  }

  /** SHA-256 of arbitrary bytes (e.g. a model file as stored). */
  public static byte[] sha256(byte[] bytes) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(bytes);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 unavailable", e);
    }
  }

  /** Decodes {@link #encode()} output; every field is checked. */
  public static AnomalyModel decode(byte[] bytes) throws ModelFormatException {
    try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(bytes))) {
      byte[] magic = new byte[4];
      in.readFully(magic);
      if (!java.util.Arrays.equals(magic, MAGIC)) {
        throw new ModelFormatException("not a fedtel model file (bad magic)");
      }
      int version = in.readUnsignedShort();
      if (version != FORMAT_VERSION) {
        throw new ModelFormatException("unsupported model format version " + version + " (this build reads "
            + FORMAT_VERSION + ")");
      }
      int length = in.readInt();
      int step = in.readInt();
      // checked before anything is allocated: Windower buffers `length` samples per node
      if (length < 1 || length > WindowSpec.MAX_LENGTH) {
        throw new ModelFormatException("bad window length " + length + " (must be in [1, " + WindowSpec.MAX_LENGTH + "])");
      }
      if (step < 1 || step > WindowSpec.MAX_LENGTH) {
        throw new ModelFormatException("bad window step " + step + " (must be in [1, " + WindowSpec.MAX_LENGTH + "])");
      }
      FeatureMode mode = enumAt(FeatureMode.values(), in.readUnsignedByte(), "feature mode");
      int nm = in.readInt();
      if (nm < 1 || nm > MAX_METRICS) {
        throw new ModelFormatException("bad metric count " + nm);
      }
      List<String> metrics = new ArrayList<>(nm);
      for (int i = 0; i < nm; i++) {
        metrics.add(in.readUTF());
      }
      Scaler.Kind kind = enumAt(Scaler.Kind.values(), in.readUnsignedByte(), "scaler kind");
      int n = in.readInt();
      if (n < 1 || n > bytes.length / 16) {
        throw new ModelFormatException("bad scaler size " + n);
      }
      double[] off = new double[n];
      double[] sc = new double[n];
      for (int i = 0; i < n; i++) {
        off[i] = in.readDouble();
      }
      for (int i = 0; i < n; i++) {
        sc[i] = in.readDouble();
      }
      int input = in.readInt();
      int nh = in.readInt();
      if (nh < 1 || nh > 64) {
        throw new ModelFormatException("bad hidden layer count " + nh);
      }
      int[] hidden = new int[nh];
      for (int i = 0; i < nh; i++) {
        hidden[i] = in.readInt();
      }
      Activation ha = enumAt(Activation.values(), in.readUnsignedByte(), "hidden activation");
      Activation oa = enumAt(Activation.values(), in.readUnsignedByte(), "output activation");
      int np = in.readInt();
      if (np < 1 || np > bytes.length / 8) {
        throw new ModelFormatException("bad parameter count " + np);
      }
      double[] params = new double[np];
      for (int i = 0; i < np; i++) {
        params[i] = in.readDouble();
      }
      ReconstructionError err = enumAt(ReconstructionError.values(), in.readUnsignedByte(), "reconstruction error");
      double threshold = in.readDouble();
      if (in.read() != -1) {
        throw new ModelFormatException("trailing bytes after the model");
      }
      try {
        return new AnomalyModel(new WindowSpec(length, step, mode), metrics, Scaler.of(kind, off, sc),
            new AutoencoderConfig(input, hidden, ha, oa), params, err, threshold);
      } catch (IllegalArgumentException e) {
        throw new ModelFormatException("inconsistent model: " + e.getMessage(), e);
      }
    } catch (EOFException e) {
      throw new ModelFormatException("truncated model file", e);
    } catch (IOException e) {
      throw new ModelFormatException("unreadable model: " + e.getMessage(), e);
    }
  }

  private static <E> E enumAt(E[] values, int ordinal, String what) throws ModelFormatException {
    if (ordinal >= values.length) {
      throw new ModelFormatException("unknown " + what + " code " + ordinal);
    }
    return values[ordinal];
  }
}
