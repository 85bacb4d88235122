package org.fedtel.siteagent;

import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.SplittableRandom;
import org.fedtel.protocol.v1.PrivacyMode;
import org.fedtel.protocol.v1.PrivacyParams;
import org.fedtel.protocol.v1.TrainConfig;
import org.fedtel.telemetry.model.Autoencoder;
import org.fedtel.telemetry.model.AutoencoderConfig;
import org.fedtel.telemetry.model.Sgd;
import org.fedtel.telemetry.model.Training;
import org.fedtel.telemetry.model.TrainingConfig;

/**
 * Local training of the telemetry module's dense autoencoder on this site's scaled feature windows:
 * mini-batch SGD from the global parameters for the round's epochs (FedProx term when mu > 0), the
 * delta returned for secure aggregation. Privacy modes none and distributed only: in distributed
 * mode the update is clipped and noised by the encoding; record-level DP-SGD (mode local) is not
 * implemented by this trainer and is refused.
 */
public final class AutoencoderTrainer implements LocalTrainer {
  private final AutoencoderConfig config;
  private final double[][] data;
  private final byte[] datasetSha256;

  /** @param scaledWindows training windows, already scaled (copied) */
  public AutoencoderTrainer(AutoencoderConfig config, double[][] scaledWindows) {
    if (scaledWindows.length == 0) {
      throw new IllegalArgumentException("no training windows");
    }
    this.config = config;
    this.data = new double[scaledWindows.length][];
    ByteBuffer buf = ByteBuffer.allocate(8 * config.inputSize());
    MessageDigest md;
    try {
      md = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
    for (int i = 0; i < scaledWindows.length; i++) {
      if (scaledWindows[i].length != config.inputSize()) {
        throw new IllegalArgumentException("window " + i + " has " + scaledWindows[i].length + " features, the model "
            + config.inputSize());
      }
      data[i] = scaledWindows[i].clone();
      buf.clear();
      for (double v : data[i]) {
        buf.putDouble(v);
      }
      md.update(buf.array());
    }
    this.datasetSha256 = md.digest();
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
      throw new UnsupportedOperationException("record-level DP-SGD (privacy mode local) is not implemented by AutoencoderTrainer");
    }
    Autoencoder model = Autoencoder.withParameters(config, global);
    double[] losses = Training.fit(model, data, new TrainingConfig(train.getLocalEpochs(), train.getBatchSize(),
        train.getProximalMu()), new Sgd(train.getLearningRate()), global, new SplittableRandom(train.getSeed()));
    double[] trained = model.parameters();
    double[] delta = new double[trained.length];
    for (int i = 0; i < delta.length; i++) {
      delta[i] = trained[i] - global[i];
    }
    return new LocalUpdate(delta, losses[losses.length - 1]);
  }
}
