package org.fedtel.siteagent;

import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Objects;
import java.util.SplittableRandom;
import java.util.random.RandomGenerator;
import org.fedtel.privacy.training.DpSgd;
import org.fedtel.protocol.FeatureMoments;
import org.fedtel.protocol.v1.PrivacyMode;
import org.fedtel.protocol.v1.PrivacyParams;
import org.fedtel.protocol.v1.TrainConfig;
import org.fedtel.telemetry.detect.Threshold;
import org.fedtel.telemetry.features.Scaler;
import org.fedtel.telemetry.model.Autoencoder;
import org.fedtel.telemetry.model.AutoencoderConfig;
import org.fedtel.telemetry.model.FedProx;
import org.fedtel.telemetry.model.ReconstructionError;
import org.fedtel.telemetry.model.Sgd;
import org.fedtel.telemetry.model.Training;
import org.fedtel.telemetry.model.TrainingConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Local training of the telemetry module's dense autoencoder on this site's scaled feature windows,
 * from the global parameters for the round's epochs (FedProx term when mu &gt; 0), the delta returned
 * for secure aggregation.
 *
 * <p>Privacy modes none and distributed: plain mini-batch SGD (in distributed mode the session
 * clips the update and the encoding adds the noise). Privacy mode local: record-level DP-SGD
 * (Abadi et al., "Deep Learning with Differential Privacy", CCS 2016, Algorithm 1) with Poisson
 * subsampling, which is what the RDP accountant of the sampled Gaussian mechanism (Mironov, Talwar
 * and Zhang 2019) assumes: for each of the epochs·⌈n/batch⌉ steps every example is included
 * independently with probability q = batch/n (so the batch size varies), each included example's
 * gradient is clipped to L2 norm ≤ C, Gaussian noise of std z·C is added to the sum (the privacy
 * module's secure sampler, through {@link DpSgd}), and the noisy sum is divided by the expected
 * batch size q·n, never by the realised one, so the divisor reveals nothing. This is exactly the
 * event {@link SiteSession} and the coordinator charge, see {@link DpSgdSchedule}.
 *
 * <p>The sampling and the noise both come from the injected generator: the subsample must stay
 * secret from everyone who sees the update, so it is not drawn from the round's public training
 * seed. Production passes a {@link SecureRandom}; simulations pass a seeded one.
 */
public final class AutoencoderTrainer implements LocalTrainer {
  private static final Logger logger = LoggerFactory.getLogger(AutoencoderTrainer.class);
  private final AutoencoderConfig config;
  /** The scaled training windows the model sees. */
  private double[][] data;
  /** With {@link #fromRawWindows}: the windows before scaling, and the scaling in use; else null. */
  private final double[][] raw;
  private Scaler scaler;
  private double[][] rawValidation;
  private final byte[] datasetSha256;
  private final RandomGenerator privacyRandom;
  private double[][] validation = new double[0][];
  private boolean[] anomalous = new boolean[0];
  /** Steps and sampled examples of the last local-mode round (tests compare them with the charge). */
  private long lastSteps;
  private long lastSampled;

  /** With a fresh {@link SecureRandom} for DP-SGD's sampling and noise (production). */
  public AutoencoderTrainer(AutoencoderConfig config, double[][] scaledWindows) {
    this(config, scaledWindows, new SecureRandom());
  }

  /**
   * @param scaledWindows training windows, already scaled (copied)
   * @param privacyRandom the source of DP-SGD's Poisson sampling and Gaussian noise in privacy mode
   *     local: a {@link SecureRandom} in production, a seeded generator only in simulations and tests
   */
  public AutoencoderTrainer(AutoencoderConfig config, double[][] scaledWindows, RandomGenerator privacyRandom) {
    this(config, scaledWindows, null, privacyRandom);
  }

  /**
   * A trainer that keeps the raw windows, so that it can take part in the federated statistics rounds
   * ({@link #statisticsSource}) and re-scale when the federation fits a scaling. Its dataset
   * fingerprint is of the raw windows, so it does not change with the scaling.
   *
   * @param scaler the scaling used until the federation sends one (the site's own)
   * @param rawWindows training windows before scaling (copied)
   */
  public static AutoencoderTrainer fromRawWindows(AutoencoderConfig config, Scaler scaler, double[][] rawWindows,
                                                  RandomGenerator privacyRandom) {
    return new AutoencoderTrainer(config, rawWindows, Objects.requireNonNull(scaler, "scaler"), privacyRandom);
  }

  /**
   * @param windows the training windows, copied and fingerprinted as given: scaled when {@code
   *     scaler} is null, raw otherwise (then kept, and scaled with {@code scaler} for training)
   */
  private AutoencoderTrainer(AutoencoderConfig config, double[][] windows, Scaler scaler, RandomGenerator privacyRandom) {
    this.privacyRandom = Objects.requireNonNull(privacyRandom, "privacyRandom");
    if (windows.length == 0) {
      throw new IllegalArgumentException("no training windows");
    }
    this.config = config;
    this.scaler = scaler;
    double[][] copies = new double[windows.length][];
    ByteBuffer buf = ByteBuffer.allocate(8 * config.inputSize());
    MessageDigest md;
    try {
      md = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
    for (int i = 0; i < windows.length; i++) {
      if (windows[i].length != config.inputSize()) {
        throw new IllegalArgumentException("window " + i + " has " + windows[i].length + " features, the model "
            + config.inputSize());
      }
      copies[i] = windows[i].clone();
      buf.clear();
      for (double v : copies[i]) {
        buf.putDouble(v);
      }
      md.update(buf.array());
    }
    this.datasetSha256 = md.digest();
    this.raw = scaler == null ? null : copies;
    this.data = scaler == null ? copies : scaler.transform(copies);
  }

  /** The scaling in use (null when the trainer was given scaled windows). */
  public Scaler scaler() {
    return scaler;
  }

  @Override
  public StatisticsSource statisticsSource() {
    if (raw == null) {
      return null;
    }
    return new StatisticsSource() {
      @Override
      public int featureCount() {
        return config.inputSize();
      }

      @Override
      public double[] featureMeans(double bound) {
        return FeatureMoments.meanContribution(raw, config.inputSize(), bound);
      }

      @Override
      public double[] featureDeviations(double[] means, double bound) {
        return FeatureMoments.deviationContribution(raw, means, bound);
      }

      @Override
      public void useScaling(FeatureMoments.Fit fit) {
        Scaler s = Scaler.of(Scaler.Kind.SIGNED_LOG_STANDARD, fit.offset(), fit.scale());
        if (s.size() != config.inputSize()) {
          throw new IllegalArgumentException("scaling for " + s.size() + " features, the model has " + config.inputSize());
        }
        if (s.equals(scaler)) {
          return;
        }
        scaler = s;
        data = s.transform(raw);
        if (rawValidation != null) {
          validation = s.transform(rawValidation);
        }
      }

      @Override
      public double[] trainingScores(double[] global) {
        Autoencoder model = Autoencoder.withParameters(config, global);
        double[] scores = new double[data.length];
        for (int i = 0; i < scores.length; i++) {
          scores[i] = model.score(data[i], ReconstructionError.MSE);
        }
        return scores;
      }
    };
  }

  /**
   * Gives this trainer held-out windows (scaled like the training windows, copied; raw when the
   * trainer was made {@link #fromRawWindows}) with their labels,
   * on which {@link #validate} scores each round's global model. They never train the model.
   */
  public AutoencoderTrainer validation(double[][] scaledWindows, boolean[] isAnomalous) {
    if (scaledWindows.length != isAnomalous.length) {
      throw new IllegalArgumentException(scaledWindows.length + " validation windows but " + isAnomalous.length + " labels");
    }
    double[][] copy = new double[scaledWindows.length][];
    for (int i = 0; i < copy.length; i++) {
      if (scaledWindows[i].length != config.inputSize()) {
        throw new IllegalArgumentException("validation window " + i + " has " + scaledWindows[i].length + " features, the model "
            + config.inputSize());
      }
      copy[i] = scaledWindows[i].clone();
    }
    if (raw != null) {
      this.rawValidation = copy;
      this.validation = copy.length == 0 ? copy : scaler.transform(copy);
    } else {
      this.validation = copy;
    }
    this.anomalous = isAnomalous.clone();
    return this;
  }

  @Override
  public Validation validate(double[] global) {
    if (validation.length == 0) {
      return null;
    }
    Autoencoder model = Autoencoder.withParameters(config, global);
    double[] train = new double[data.length];
    for (int i = 0; i < train.length; i++) {
      train[i] = finiteScore(model.score(data[i], ReconstructionError.MSE));
    }
    double threshold = Threshold.fromTrainingScores(train, 99);
    int tp = 0;
    int fp = 0;
    int fn = 0;
    for (int i = 0; i < validation.length; i++) {
      boolean flagged = finiteScore(model.score(validation[i], ReconstructionError.MSE)) > threshold;
      if (flagged && anomalous[i]) {
        tp++;
      } else if (flagged) {
        fp++;
      } else if (anomalous[i]) {
        fn++;
      }
    }
    double n = validation.length;
    return new Validation(tp / n, fp / n, fn / n);
  }

  /** A diverging model's infinite or NaN error counts as the largest error, never as normal. */
  private static double finiteScore(double s) {
    return Double.isFinite(s) ? s : Double.MAX_VALUE;
  }

  @Override
  public long exampleCount() {
    return data.length;
  }

  @Override
  public byte[] datasetSha256() {
    return datasetSha256.clone();
  }

  @Override
  public LocalUpdate train(long round, double[] global, TrainConfig train, PrivacyParams privacy) {
    if (privacy.getMode() == PrivacyMode.PRIVACY_MODE_LOCAL) {
      return trainDpSgd(round, global, train, privacy);
    }
    Autoencoder model = Autoencoder.withParameters(config, global);
    double[] losses = Training.fit(model, data, new TrainingConfig(train.getLocalEpochs(), train.getBatchSize(),
        train.getProximalMu()), new Sgd(train.getLearningRate()), global, new SplittableRandom(train.getSeed()));
    double[] trained = model.parameters();
    double[] delta = new double[trained.length];
    for (int i = 0; i < delta.length; i++) {
      delta[i] = trained[i] - global[i];
    }
    double loss = losses.length == 0 ? 0 : losses[losses.length - 1];
    if (Double.isNaN(loss)) {
      // Training diverged and stopped at the last finite parameters (Training.fit): the site still
      // takes part with that update, and reports its loss as at least the round's bound (encoding
      // clips it there), instead of failing the round. Without DP-SGD the update is clipped and noised
      // as a whole, so where training stopped is part of the one release and needs no budget of its own.
      logger.warn("round {}: local training diverged (a loss or gradient stopped being finite); sending the update"
          + " up to the last finite step and the loss as at the bound", round);
      loss = Double.MAX_VALUE;
    }
    return new LocalUpdate(delta, loss);
  }

  private LocalUpdate trainDpSgd(long round, double[] global, TrainConfig train, PrivacyParams privacy) {
    if (!(train.getLearningRate() > 0) || !Double.isFinite(train.getLearningRate())) {
      throw new IllegalArgumentException("learning rate must be finite and > 0, got " + train.getLearningRate());
    }
    if (!(train.getProximalMu() >= 0) || !Double.isFinite(train.getProximalMu())) {
      throw new IllegalArgumentException("proximal mu must be finite and >= 0, got " + train.getProximalMu());
    }
    DpSgdSchedule schedule = DpSgdSchedule.of(data.length, train.getBatchSize(), train.getLocalEpochs());
    DpSgd dpSgd = new DpSgd(privacy.getClipNorm(), privacy.getNoiseMultiplier(), privacyRandom);
    Autoencoder model = Autoencoder.withParameters(config, global);
    Sgd sgd = new Sgd(train.getLearningRate());
    double mu = train.getProximalMu();
    int n = data.length;
    int d = model.parameterCount();
    // Everything the steps touch is allocated here, once per round: a Poisson batch can hold all n rows.
    double[][] batch = new double[n][];
    double[] gradient = new double[d];
    double[] noise = new double[d];
    double[] weights = mu > 0 ? new double[d] : null;
    long stepsPerEpoch = train.getLocalEpochs() == 0 ? 0 : schedule.steps() / train.getLocalEpochs();
    double lossSum = 0;
    long lossCount = 0;
    long sampled = 0;
    boolean diverged = false;
    for (long step = 0; step < schedule.steps(); step++) {
      int count = poissonSample(schedule.samplingRate(), batch);
      double loss = privatisedGradient(model, batch, count, dpSgd, schedule.expectedBatchSize(), gradient, noise);
      // An example the model overflows on adds nothing to the step (Autoencoder.clippedGradientSum);
      // the steps go on as scheduled, so how many run never depends on the data.
      diverged |= !Double.isFinite(loss);
      if (mu > 0) {
        // The proximal term depends only on the model and the global parameters, never on the data:
        // adding it after the noise is post-processing.
        model.copyParametersInto(weights);
        FedProx.addProximalGradient(gradient, weights, global, mu);
      }
      model.step(sgd, gradient);
      sampled += count;
      if (step >= schedule.steps() - stepsPerEpoch && count > 0) {
        lossSum += loss * count;
        lossCount += count;
      }
    }
    lastSteps = schedule.steps();
    lastSampled = sampled;
    double[] trained = model.parameters();
    double[] delta = new double[d];
    for (int i = 0; i < d; i++) {
      delta[i] = trained[i] - global[i];
    }
    if (diverged) {
      logger.warn("round {}: the model overflowed on some examples (a diverged model); DP-SGD left them out of its"
          + " steps, and the loss is reported as at the bound", round);
      return new LocalUpdate(delta, Double.MAX_VALUE);
    }
    // The mean loss over the last epoch's sampled examples (0 if none was sampled).
    return new LocalUpdate(delta, lossCount == 0 ? 0 : lossSum / lossCount);
  }

  /**
   * Poisson sampling: includes each row of {@link #data} independently with probability q and
   * writes the included rows to the front of {@code batch}; returns their number. Rather than one
   * uniform per example, the gap to the next included example is drawn from the geometric
   * distribution P(gap = k) = (1-q)^k q (inversion: ⌊ln U / ln(1-q)⌋), the same Bernoulli process
   * at about q·n draws per step instead of n.
   */
  int poissonSample(double q, double[][] batch) {
    int n = data.length;
    if (q >= 1) {
      System.arraycopy(data, 0, batch, 0, n);
      return n;
    }
    double logOneMinusQ = Math.log1p(-q);
    int count = 0;
    long i = -1;
    while (true) {
      double u = 1 - privacyRandom.nextDouble(); // in (0, 1]
      double gap = Math.floor(Math.log(u) / logOneMinusQ); // >= 0; compared before the cast, which saturates
      if (gap >= n - 1 - i) {
        return count;
      }
      i += 1 + (long) gap;
      batch[count++] = data[(int) i];
    }
  }

  /**
   * One DP-SGD step's gradient into {@code out}: (Σ_{i < count} clip_C(∇ℓ(batch[i])) + N(0, (zC)²)^d)
   * / expectedBatchSize. The clipped sum is the telemetry module's fused one (no per-example vector
   * formed); the noise is {@link DpSgd#noisySum} of no rows, i.e. the privacy module's secure
   * Gaussian of std z·C. {@code noise} is scratch of length d. Returns the mean loss of the batch (0
   * if empty).
   */
  static double privatisedGradient(Autoencoder model, double[][] batch, int count, DpSgd dpSgd,
                                   double expectedBatchSize, double[] out, double[] noise) {
    double loss = 0;
    if (count > 0) {
      loss = model.clippedGradientSum(batch, 0, count, dpSgd.clipNorm(), out, null);
    } else {
      Arrays.fill(out, 0);
    }
    dpSgd.noisySum(NO_ROWS, 0, noise);
    double inv = 1 / expectedBatchSize;
    for (int j = 0; j < out.length; j++) {
      out[j] = (out[j] + noise[j]) * inv;
    }
    return loss;
  }

  private static final double[][] NO_ROWS = new double[0][];

  /** The stored training rows themselves (tests identify sampled rows by reference). */
  double[][] trainingRowsForTest() {
    return data;
  }

  /** DP-SGD steps run in the last local-mode round. */
  long lastSteps() {
    return lastSteps;
  }

  /** Examples sampled over all steps of the last local-mode round. */
  long lastSampled() {
    return lastSampled;
  }
}
