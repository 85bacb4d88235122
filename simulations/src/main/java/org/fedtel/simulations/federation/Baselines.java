package org.fedtel.simulations.federation;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import org.fedtel.simulations.experiment.RoundRecord;
import org.fedtel.simulations.experiment.RunSpec;
import org.fedtel.telemetry.model.Autoencoder;
import org.fedtel.telemetry.model.AutoencoderConfig;
import org.fedtel.telemetry.model.Sgd;
import org.fedtel.telemetry.model.Training;
import org.fedtel.telemetry.model.TrainingConfig;

/**
 * The reference runs of a sweep, with the same model, initialisation, optimizer and amount of local
 * training as the federation: a "round" is {@code localEpochs} epochs.
 *
 * <ul>
 *   <li>local-only: each site trains its own model on its own data; each metric is the median over
 *       the sites of the metric of that site's model on that site's held-out windows;
 *   <li>centralized: one model trained on all sites' training windows pooled, evaluated like the
 *       federated model.
 * </ul>
 */
public final class Baselines {
  private Baselines() {}

  /** The initial model of every run of a sweep: the same for all, fixed by the seed. */
  public static double[] initialModel(AutoencoderConfig config, long seed) {
    return Autoencoder.initialize(config, new SplittableRandom(seed)).parameters();
  }

  public static List<RoundRecord> localOnly(List<SiteData> sites, RunSpec spec, SimulationSettings settings,
                                            InProcessFederation.RoundListener listener) {
    AutoencoderConfig config = AutoencoderConfig.defaults(sites.get(0).features());
    double[] initial = initialModel(config, spec.seed());
    Autoencoder[] models = new Autoencoder[sites.size()];
    SplittableRandom[] randoms = new SplittableRandom[sites.size()];
    for (int i = 0; i < models.length; i++) {
      models[i] = Autoencoder.withParameters(config, initial);
      randoms[i] = new SplittableRandom(spec.seed() + 31L * (i + 1));
    }
    List<RoundRecord> out = new ArrayList<>();
    for (int round = 1; round <= settings.rounds(); round++) {
      long start = System.nanoTime();
      double[] losses = new double[models.length];
      RoundRecord.Quality[] quality = new RoundRecord.Quality[models.length];
      for (int i = 0; i < models.length; i++) {
        double[] epochLosses = Training.fit(models[i], sites.get(i).train(),
            new TrainingConfig(settings.localEpochs(), settings.batchSize(), 0), new Sgd(settings.learningRate()), null, randoms[i]);
        losses[i] = epochLosses[epochLosses.length - 1];
        quality[i] = Evaluation.ofSiteModels(new Autoencoder[] {models[i]}, List.of(sites.get(i)));
      }
      RoundRecord r = new RoundRecord(spec.id(), round, median(losses), median(quality), new double[0], sites.size(),
          sites.size(), (System.nanoTime() - start) / 1_000_000);
      out.add(r);
      listener.round(r);
    }
    return out;
  }

  public static List<RoundRecord> centralized(List<SiteData> sites, RunSpec spec, SimulationSettings settings,
                                              InProcessFederation.RoundListener listener) {
    AutoencoderConfig config = AutoencoderConfig.defaults(sites.get(0).features());
    Autoencoder model = Autoencoder.withParameters(config, initialModel(config, spec.seed()));
    List<double[]> pooled = new ArrayList<>();
    for (SiteData s : sites) {
      pooled.addAll(Arrays.asList(s.train()));
    }
    double[][] data = pooled.toArray(new double[0][]);
    SplittableRandom random = new SplittableRandom(spec.seed());
    List<RoundRecord> out = new ArrayList<>();
    for (int round = 1; round <= settings.rounds(); round++) {
      long start = System.nanoTime();
      double[] losses = Training.fit(model, data, new TrainingConfig(settings.localEpochs(), settings.batchSize(), 0),
          new Sgd(settings.learningRate()), null, random);
      RoundRecord r = new RoundRecord(spec.id(), round, losses[losses.length - 1],
          Evaluation.ofGlobalModel(config, model.parameters(), sites), new double[0], 1, 1,
          (System.nanoTime() - start) / 1_000_000);
      out.add(r);
      listener.round(r);
    }
    return out;
  }

  /** Median of each metric over sites; recall of a type over the sites that have that type. */
  static RoundRecord.Quality median(RoundRecord.Quality[] q) {
    double[] f1 = new double[q.length];
    double[] p = new double[q.length];
    double[] r = new double[q.length];
    double[] roc = new double[q.length];
    double[] pr = new double[q.length];
    Map<String, List<Double>> types = new TreeMap<>();
    for (int i = 0; i < q.length; i++) {
      f1[i] = q[i].f1();
      p[i] = q[i].precision();
      r[i] = q[i].recall();
      roc[i] = q[i].rocAuc();
      pr[i] = q[i].prAuc();
      q[i].recallByType().forEach((k, v) -> types.computeIfAbsent(k, x -> new ArrayList<>()).add(v));
    }
    Map<String, Double> byType = new TreeMap<>();
    types.forEach((k, v) -> byType.put(k, median(v.stream().mapToDouble(Double::doubleValue).toArray())));
    return new RoundRecord.Quality(median(f1), median(p), median(r), median(roc), median(pr), byType);
  }

  /** Median ignoring NaN (a site without anomalies has no ROC-AUC); NaN if nothing is left. */
  static double median(double[] values) {
    double[] v = Arrays.stream(values).filter(x -> !Double.isNaN(x)).sorted().toArray();
    if (v.length == 0) {
      return Double.NaN;
    }
    return v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
  }
}
