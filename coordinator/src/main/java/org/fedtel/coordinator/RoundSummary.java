package org.fedtel.coordinator;

import java.util.List;
import java.util.Map;
import org.fedtel.protocol.RoundStatistics;
import org.fedtel.coordinator.strategy.SiteFailure;

/**
 * How a round ended.
 *
 * @param round round number
 * @param committed whether a new global model came out of it
 * @param reason why it aborted (empty when committed)
 * @param survivors sites whose inputs are in the aggregate
 * @param failures sampled sites that contributed nothing, with the reason
 * @param meanTrainLoss mean of the survivors' local training loss, decoded from the aggregate (noisy under
 *     distributed DP; NaN if aborted or the round carried no statistics, as in privacy mode local)
 * @param metrics the round's statistics decoded from the aggregate ({@link RoundStatistics#metrics}:
 *     train_loss, val_sites, val_precision, val_recall, val_f1 of the model the round started from;
 *     and train_loss_noise_sd, the standard deviation of the DP noise on train_loss before clamping,
 *     0 without DP); empty when the round carried none
 * @param epsilonSpent ε spent so far per participating site after this round, as the coordinator accounts it
 * @param model the new global model (null when aborted; the engine's history keeps it only for the
 *     latest round, so memory does not grow with the number of rounds)
 * @param purpose "training", or the statistics round's "feature_moments" (metrics: windows, noise_sd)
 *     or "score_histogram" (metrics: threshold, noise_sd)
 */
public record RoundSummary(long round, boolean committed, String reason, List<String> survivors, List<SiteFailure> failures,
                           double meanTrainLoss, Map<String, Double> metrics, Map<String, Double> epsilonSpent,
                           double[] model, String purpose) {
  public RoundSummary {
    survivors = List.copyOf(survivors);
    failures = List.copyOf(failures);
    metrics = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(metrics));
    epsilonSpent = Map.copyOf(epsilonSpent);
    model = model == null ? null : model.clone();
  }

  /** This summary without its model (what the history keeps of every round but the latest). */
  RoundSummary withoutModel() {
    return new RoundSummary(round, committed, reason, survivors, failures, meanTrainLoss, metrics, epsilonSpent, null, purpose);
  }

  /** Whether this was a training round (not a statistics round). */
  public boolean training() {
    return purpose.equals("training");
  }

  @Override
  public double[] model() {
    return model == null ? null : model.clone();
  }
}
