package org.fedtel.coordinator;

import com.google.protobuf.ByteString;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.random.RandomGenerator;
import org.fedtel.coordinator.strategy.Strategy;
import org.fedtel.coordinator.strategy.StrategyState;
import org.fedtel.protocol.FeatureMoments;
import org.fedtel.protocol.RejectedMessageException.Reason;
import org.fedtel.protocol.RejectedMessageException;
import org.fedtel.protocol.Wire;
import org.fedtel.protocol.v1.CoordinatorState;
import org.fedtel.protocol.v1.DoubleVector;
import org.fedtel.protocol.v1.DataUseStatus;
import org.fedtel.protocol.v1.Envelope;
import org.fedtel.protocol.v1.Error;
import org.fedtel.protocol.v1.ErrorCode;
import org.fedtel.protocol.v1.Hello;
import org.fedtel.protocol.v1.RoundPurpose;

/**
 * The coordinator's transport-free engine: enrolment, rounds one after another, persistence and
 * resume. It consumes envelopes from authenticated sites and returns the envelopes to send; time
 * comes from an injected {@link Clock} and randomness (site sampling) from an injected generator,
 * so the Netty server and an in-process simulation drive exactly the same code.
 *
 * <p>Not thread-safe: a carrier calls it from one thread (the Netty server uses one executor).
 */
public final class Federation {
  private static final org.slf4j.Logger logger = org.slf4j.LoggerFactory.getLogger(Federation.class);
  /** Identity the coordinator uses as envelope sender. */
  public static final String COORDINATOR_ID = "coordinator";

  private final RoundSettings settings;
  private final Strategy strategy;
  private final SecAggServer.Factory secagg;
  private final FederationLog log;
  private final StateStore store;
  private final Clock clock;
  private final RandomGenerator random;
  private final Map<String, SiteRecord> sites = new TreeMap<>();
  private final List<RoundSummary> history = new ArrayList<>();
  private double[] model;
  private long committedRound;
  private long lastStartedRound;
  private Round current;
  private long idleSince;
  private boolean lastAborted;
  private long outSequence;
  /** Federated statistics: the fitted scaling (null before), the threshold and the model it is for. */
  private double[] means;
  private FeatureMoments.Fit scaling;
  private double threshold = Double.NaN;
  private byte[] thresholdModelHash = new byte[0];
  /** Numbers of the statistics rounds that have ended, committed or aborted. */
  private final List<Long> statisticsRounds = new ArrayList<>();
  /** Charges recorded before this engine started (read from the log at the first hello). */
  private Map<String, List<org.fedtel.privacy.accounting.SampledGaussian>> restoredCharges;
  /** Sites recorded budget-exhausted before this engine started (read with {@link #restoredCharges}). */
  private java.util.Set<String> restoredExhausted;

  /**
   * Creates the engine, resuming from {@code store} if it holds a state. A round that was started
   * but never committed (the coordinator was killed) is recorded as aborted.
   *
   * @param initialModel parameters of round 0, used only when the store is empty
   * @throws IOException if the stored state is unreadable or belongs to another strategy or model size
   */
  public Federation(RoundSettings settings, Strategy strategy, double[] initialModel, SecAggServer.Factory secagg,
                    FederationLog log, StateStore store, Clock clock, RandomGenerator random) throws IOException {
    this.settings = settings;
    this.strategy = strategy;
    this.secagg = secagg;
    this.log = log;
    this.store = store;
    this.clock = clock;
    this.random = random;
    CoordinatorState saved = store.load();
    if (saved == null) {
      model = initialModel.clone();
    } else {
      model = saved.getParametersList().stream().mapToDouble(Double::doubleValue).toArray();
      if (model.length != initialModel.length) {
        throw new IOException("stored model has " + model.length + " parameters but the configured model has " + initialModel.length);
      }
      List<double[]> buffers = new ArrayList<>();
      for (DoubleVector v : saved.getStrategyBuffersList()) {
        buffers.add(v.getValuesList().stream().mapToDouble(Double::doubleValue).toArray());
      }
      try {
        strategy.restore(new StrategyState(saved.getStrategy(), buffers));
      } catch (IllegalArgumentException e) {
        throw new IOException("stored strategy state cannot be used: " + e.getMessage(), e);
      }
      committedRound = saved.getCommittedRound();
      lastStartedRound = saved.getLastStartedRound();
      statisticsRounds.addAll(saved.getStatisticsRoundsList());
      if (saved.getFeatureMeansCount() > 0) {
        means = saved.getFeatureMeansList().stream().mapToDouble(Double::doubleValue).toArray();
      }
      if (saved.hasScaling()) {
        try {
          scaling = FeatureMoments.Fit.fromProto(saved.getScaling());
        } catch (IllegalArgumentException e) {
          throw new IOException("stored scaling cannot be used: " + e.getMessage(), e);
        }
      }
      int features = settings.statistics().features();
      if (settings.statistics().enabled() && ((means != null && means.length != features)
          || (scaling != null && scaling.offset().length != features))) {
        throw new IOException("stored feature statistics are for " + (means != null ? means.length : scaling.offset().length)
            + " features but the configured model has " + features + " inputs");
      }
      threshold = saved.getThresholdModelHash().isEmpty() ? Double.NaN : saved.getThreshold();
      thresholdModelHash = saved.getThresholdModelHash().toByteArray();
    }
    long logged = log.lastStartedRound();
    lastStartedRound = Math.max(lastStartedRound, logged);
    if (logged > committedRound && log.isOpen(logged)) {
      log.roundAborted(logged, "coordinator stopped during the round; resumed from round " + committedRound);
      if (nextPurpose() != RoundPurpose.ROUND_PURPOSE_TRAINING) {
        // The state is persisted only when a round ends, so the interrupted round had the purpose the
        // next one has: a statistics round, which must not count as a training round.
        statisticsRounds.add(logged);
        persist();
      }
    }
    idleSince = clock.millis();
  }

  /** A site completed the handshake and said hello. Its identity comes from its certificate. */
  public List<Outbound> onHello(String siteId, Envelope envelope) throws RejectedMessageException {
    return onHello(siteId, new byte[0], envelope);
  }

  /**
   * A site's first message on a new connection, with the DER certificate it authenticated with. The
   * certificate is relayed in the round's KeyList, so that every site can verify every other site's
   * signed keys against the consortium CA (Bonawitz et al. 2017, section 6: the server relays the
   * clients' certified signing keys).
   */
  public List<Outbound> onHello(String siteId, byte[] certificate, Envelope envelope) throws RejectedMessageException {
    if (!envelope.getSenderId().equals(siteId)) {
      throw new RejectedMessageException(Reason.SENDER_MISMATCH,
          "envelope says it is from '" + envelope.getSenderId() + "' but the connection is authenticated as '" + siteId + "'");
    }
    if (!envelope.hasHello()) {
      throw new RejectedMessageException(Reason.UNEXPECTED_MESSAGE, "the first message of '" + siteId + "' must be Hello");
    }
    Hello hello = envelope.getHello();
    SiteRecord site = sites.get(siteId);
    if (site == null) {
      FederationLog.EnrolledBudget before = log.enrolledBudget(siteId);
      log.siteEnrolled(siteId, hello.getBudgetEpsilon(), hello.getBudgetDelta()); // may refuse: then nothing changes
      FederationLog.EnrolledBudget enrolled = before != null ? before : log.enrolledBudget(siteId);
      if (before != null && settings.privacyMode() != org.fedtel.protocol.v1.PrivacyMode.PRIVACY_MODE_NONE
          && (before.epsilon() != hello.getBudgetEpsilon() || before.delta() != hello.getBudgetDelta())) {
        // The enrolled budget binds (the auditor checks every spend against it, DESIGN.md section 4);
        // a larger one declared later would let this coordinator overspend it.
        logger.warn("site '{}' declares budget (epsilon {}, delta {}) but was enrolled with (epsilon {}, delta {}): keeping the enrolled one",
            siteId, hello.getBudgetEpsilon(), hello.getBudgetDelta(), before.epsilon(), before.delta());
      }
      site = new SiteRecord(siteId, hello, enrolled, settings.delta());
      restoreSpend(site);
      sites.put(siteId, site);
    } else {
      site.update(hello);
    }
    site.certificate = certificate.clone();
    site.connected = true;
    site.lastSequence = envelope.getSequence();
    site.lastSeenMillis = clock.millis();
    site.checkpointSize = hello.getLastCheckpointSize();
    if (hello.getUnconfirmedRoundsCount() == 0) {
      return onTick();
    }
    // Before anything else on this connection: which of the site's unconfirmed charges the ledger holds.
    DataUseStatus.Builder status = DataUseStatus.newBuilder();
    for (long r : hello.getUnconfirmedRoundsList()) {
      if (log.hasDataUse(siteId, r)) {
        status.addRecordedRounds(r);
      } else {
        status.addUnrecordedRounds(r);
      }
    }
    List<Outbound> out = new ArrayList<>();
    out.add(new Outbound(siteId, Wire.envelope(COORDINATOR_ID, 0, ++outSequence).setDataUseStatus(status).build()));
    out.addAll(onTick());
    return out;
  }

  /**
   * A site first seen since this engine started: charge what the log says it has already spent, and
   * keep it out of every round if the log says its budget was exhausted.
   */
  private void restoreSpend(SiteRecord site) {
    if (restoredCharges == null) {
      restoredCharges = log.recordedCharges();
      restoredExhausted = log.exhaustedSites();
    }
    if (restoredExhausted.contains(site.id)) {
      // Recorded exhausted: the auditor refuses any later data use of it, whatever it declares now.
      site.exhausted = true;
    }
    for (org.fedtel.privacy.accounting.SampledGaussian event : restoredCharges.getOrDefault(site.id, List.of())) {
      try {
        site.spend(event);
      } catch (org.fedtel.privacy.accounting.BudgetExceededException e) {
        // The recorded spend already reaches the budget the site now declares: never sample it again.
        site.exhausted = true;
        return;
      }
    }
  }

  /** The connection of {@code siteId} closed; the site is dropped from the round in progress. */
  public List<Outbound> onDisconnect(String siteId) {
    SiteRecord site = sites.get(siteId);
    if (site != null) {
      site.connected = false;
    }
    if (current != null) {
      current.dropped(siteId, "connection closed");
      return advance();
    }
    return List.of();
  }

  /**
   * An envelope from the authenticated site {@code siteId}.
   *
   * @throws RejectedMessageException if the envelope is not acceptable; the engine is unchanged, except
   *     that a site whose consistency signature is refused is left out of its round at once (it signs
   *     once, so the refusal is final); call {@link #onTick} after a refusal to move the round on if it
   *     was the last one awaited ({@link CoordinatorServer} does)
   */
  public List<Outbound> onEnvelope(String siteId, Envelope envelope) throws RejectedMessageException {
    if (!envelope.getSenderId().equals(siteId)) {
      throw new RejectedMessageException(Reason.SENDER_MISMATCH,
          "envelope says it is from '" + envelope.getSenderId() + "' but the connection is authenticated as '" + siteId + "'");
    }
    SiteRecord site = sites.get(siteId);
    if (site == null || !site.connected) {
      throw new RejectedMessageException(Reason.UNKNOWN_SENDER, "'" + siteId + "' has not said hello on this connection");
    }
    if (envelope.getSequence() <= site.lastSequence) {
      throw new RejectedMessageException(Reason.REPLAY,
          "sequence " + envelope.getSequence() + " from '" + siteId + "' is not above " + site.lastSequence);
    }
    if (envelope.hasHeartbeat()) {
      site.lastSequence = envelope.getSequence();
      site.lastSeenMillis = clock.millis();
      return onTick();
    }
    if (envelope.hasCosignature()) {
      // Cosignatures arrive after their round has ended; they are checked against the stored checkpoint.
      log.cosignature(siteId, envelope.getCosignature().getCheckpointSize(), envelope.getCosignature().getSignatureLine().toByteArray());
      site.lastSequence = envelope.getSequence();
      site.lastSeenMillis = clock.millis();
      site.checkpointSize = Math.max(site.checkpointSize, envelope.getCosignature().getCheckpointSize());
      return List.of();
    }
    if (envelope.hasDataUse() && (current == null || envelope.getRound() != current.number()
        || !current.expectsDataUse(siteId)) && !log.hasDataUse(siteId, envelope.getRound())) {
      // A straggler's record, after its round cut it: not recorded, and the site is told so, or the
      // cumulative ε it signs next would count a use the ledger does not hold.
      logger.warn("data use of '{}' for round {} arrived after its round had cut it: not recorded", siteId, envelope.getRound());
      site.lastSequence = envelope.getSequence();
      site.lastSeenMillis = clock.millis();
      return List.of(new Outbound(siteId, Wire.envelope(COORDINATOR_ID, 0, ++outSequence)
          .setDataUseStatus(DataUseStatus.newBuilder().addUnrecordedRounds(envelope.getRound())).build()));
    }
    if (current == null || envelope.getRound() != current.number()) {
      throw new RejectedMessageException(Reason.WRONG_ROUND, envelope.getBodyCase() + " for round " + envelope.getRound() + " from '" + siteId
          + "' but " + (current == null ? "no round is in progress" : "round " + current.number() + " is in progress"));
    }
    current.receive(siteId, envelope);
    site.lastSequence = envelope.getSequence();
    site.lastSeenMillis = clock.millis();
    return advance();
  }

  /** Checks deadlines and starts the next round when enough sites are connected. Call periodically. */
  public List<Outbound> onTick() {
    if (current != null) {
      return advance();
    }
    if (finished()) {
      return List.of();
    }
    List<String> connected = new ArrayList<>();
    for (SiteRecord s : sites.values()) {
      if (s.connected && !s.exhausted) {
        connected.add(s.id);
      }
    }
    boolean waited = clock.millis() - idleSince >= settings.phaseTimeout().toMillis();
    // After an aborted round, wait one phase timeout before trying again (sites may reconnect).
    boolean enough = (connected.size() >= settings.sitesPerRound() && (!lastAborted || waited))
        || (connected.size() >= settings.minParticipants() && waited);
    if (!enough) {
      return List.of();
    }
    lastStartedRound++;
    current = new Round(lastStartedRound, settings, strategy, model, sample(connected), sites, secagg, log, clock, random,
        nextPurpose(), scaling, means);
    Round.Step step = current.start();
    return finish(step);
  }

  private List<Outbound> advance() {
    return finish(current.advance());
  }

  private List<Outbound> finish(Round.Step step) {
    List<Outbound> out = new ArrayList<>();
    for (Outbound o : step.messages()) {
      // One sequence counter for everything the coordinator sends: strictly increasing per connection.
      out.add(new Outbound(o.siteId(), o.envelope().toBuilder().setSequence(++outSequence).build()));
    }
    if (step.outcome() != null) {
      RoundSummary summary = step.outcome();
      if (!summary.training()) {
        // Statistics rounds, committed or aborted, are not training rounds (the round numbers count
        // both kinds, and aborted training rounds, as they always have).
        statisticsRounds.add(summary.round());
      }
      if (summary.committed()) {
        model = summary.model();
        committedRound = summary.round();
        if (current.purpose() == RoundPurpose.ROUND_PURPOSE_FEATURE_MEANS) {
          means = current.fittedMeans();
        } else if (current.purpose() == RoundPurpose.ROUND_PURPOSE_FEATURE_DEVIATIONS) {
          scaling = current.fitted();
        } else if (current.purpose() == RoundPurpose.ROUND_PURPOSE_SCORE_HISTOGRAM) {
          threshold = current.threshold();
          thresholdModelHash = StateStore.modelHash(model);
        }
        persist();
      } else if (!summary.training()) {
        persist();
      }
      if (!history.isEmpty()) {
        int last = history.size() - 1;
        history.set(last, history.get(last).withoutModel()); // one model in memory, however many rounds
      }
      history.add(summary);
      lastAborted = !summary.committed();
      current = null;
      idleSince = clock.millis();
      if (!finished()) {
        out.addAll(onTick());
      }
    }
    return out;
  }

  /**
   * With statistics rounds: the feature means and deviations first, then the training rounds, then
   * the score histogram of the final model (and of the model after every {@code thresholdEvery}
   * training rounds, when set).
   */
  private RoundPurpose nextPurpose() {
    if (!settings.statistics().enabled()) {
      return RoundPurpose.ROUND_PURPOSE_TRAINING;
    }
    if (means == null) {
      return RoundPurpose.ROUND_PURPOSE_FEATURE_MEANS;
    }
    if (scaling == null) {
      return RoundPurpose.ROUND_PURPOSE_FEATURE_DEVIATIONS;
    }
    long trained = trainingRounds();
    int every = settings.statistics().thresholdEvery();
    boolean due = every > 0 && trained > 0 && trained % every == 0;
    if (trained < settings.rounds() && !(due && !thresholdIsForTheModel())) {
      return RoundPurpose.ROUND_PURPOSE_TRAINING;
    }
    return RoundPurpose.ROUND_PURPOSE_SCORE_HISTOGRAM;
  }

  private boolean thresholdIsForTheModel() {
    return java.util.Arrays.equals(thresholdModelHash, StateStore.modelHash(model));
  }

  /**
   * Training rounds done: the last committed round's number less the statistics rounds up to it, so
   * an aborted training round counts, as it always has (without statistics rounds, rounds.count is the
   * round number training ends at).
   */
  public long trainingRounds() {
    long n = committedRound;
    for (long r : statisticsRounds) {
      n -= r <= committedRound ? 1 : 0;
    }
    return n;
  }

  private List<String> sample(List<String> connected) {
    List<String> pool = new ArrayList<>(connected);
    Collections.sort(pool);
    // Partial Fisher-Yates with the injected generator: the same seed samples the same sites.
    int m = Math.min(settings.sitesPerRound(), pool.size());
    for (int i = 0; i < m; i++) {
      int j = i + random.nextInt(pool.size() - i);
      Collections.swap(pool, i, j);
    }
    List<String> chosen = new ArrayList<>(pool.subList(0, m));
    Collections.sort(chosen);
    return chosen;
  }

  private void persist() {
    StrategyState s = strategy.state();
    CoordinatorState.Builder b = CoordinatorState.newBuilder()
        .setCommittedRound(committedRound)
        .setLastStartedRound(lastStartedRound)
        .setStrategy(s.strategy())
        .setModelHash(ByteString.copyFrom(StateStore.modelHash(model)))
        .addAllStatisticsRounds(statisticsRounds)
        .setThresholdModelHash(ByteString.copyFrom(thresholdModelHash));
    if (scaling != null) {
      b.setScaling(scaling.toProto());
    }
    if (means != null) {
      for (double m : means) {
        b.addFeatureMeans(m);
      }
    }
    if (thresholdModelHash.length > 0) {
      b.setThreshold(threshold);
    }
    for (double p : model) {
      b.addParameters(p);
    }
    for (double[] buf : s.buffers()) {
      DoubleVector.Builder v = DoubleVector.newBuilder();
      for (double x : buf) {
        v.addValues(x);
      }
      b.addStrategyBuffers(v);
    }
    try {
      store.save(b.build());
    } catch (IOException e) {
      // Losing the state would break resume; stop the coordinator rather than continue unpersisted.
      throw new UncheckedIOException("cannot persist the coordinator state after round " + committedRound, e);
    }
  }

  /**
   * A heartbeat to every connected site, so that a site can tell a silent coordinator from a vanished
   * one (half-open TCP) by the time since it last heard anything.
   */
  public List<Outbound> heartbeats() {
    List<Outbound> out = new ArrayList<>();
    for (SiteRecord site : sites.values()) {
      if (site.connected) {
        out.add(new Outbound(site.id, Wire.envelope(COORDINATOR_ID, 0, ++outSequence)
            .setHeartbeat(org.fedtel.protocol.v1.Heartbeat.newBuilder().setEpochMillis(clock.millis())).build()));
      }
    }
    return out;
  }

  /** An error envelope telling a site why its message was refused. */
  public Envelope errorFor(RejectedMessageException e, long round) {
    ErrorCode code = switch (e.reason()) {
      case WRONG_ROUND, REPLAY -> ErrorCode.ERROR_CODE_WRONG_ROUND;
      case SENDER_MISMATCH, UNKNOWN_SENDER -> ErrorCode.ERROR_CODE_UNAUTHENTICATED;
      default -> ErrorCode.ERROR_CODE_BAD_REQUEST;
    };
    return Wire.envelope(COORDINATOR_ID, round, ++outSequence)
        .setError(Error.newBuilder().setCode(code).setMessage(e.getMessage())).build();
  }

  /** A site as the coordinator sees it now (for the dashboard). */
  public record SiteStatus(String siteId, boolean connected, long lastSeenEpochMillis, double epsilonSpent) {}

  /** The round in progress (for the dashboard). */
  public record RoundProgress(long round, String phase, int sampled, int answered) {}

  /** Every enrolled site, in id order. */
  public List<SiteStatus> siteStatus() {
    List<SiteStatus> out = new ArrayList<>();
    for (SiteRecord r : sites.values()) {
      out.add(new SiteStatus(r.id, r.connected, r.lastSeenMillis, r.spentEpsilon()));
    }
    return out;
  }

  /** The round in progress, if any. */
  public java.util.Optional<RoundProgress> roundProgress() {
    Round r = current;
    if (r == null) {
      return java.util.Optional.empty();
    }
    return java.util.Optional.of(new RoundProgress(r.number(), r.phase().name().toLowerCase(java.util.Locale.ROOT),
        r.sampledCount(), r.answeredCount()));
  }

  /**
   * Whether all configured training rounds have been committed (and, with statistics rounds, the
   * threshold of the final model set).
   */
  public boolean finished() {
    if (trainingRounds() < settings.rounds()) {
      return false;
    }
    return !settings.statistics().enabled() || thresholdIsForTheModel();
  }

  /** The scaling fitted by the feature rounds, once they have run. */
  public java.util.Optional<FeatureMoments.Fit> scaling() {
    return java.util.Optional.ofNullable(scaling);
  }

  /** The federated threshold of the current model, or NaN if none has been set for it. */
  public double threshold() {
    return thresholdIsForTheModel() ? threshold : Double.NaN;
  }

  public double[] model() {
    return model.clone();
  }

  public long committedRound() {
    return committedRound;
  }

  /** Rounds finished since this engine started (committed and aborted), in order. */
  public List<RoundSummary> history() {
    return List.copyOf(history);
  }

  /** The ε each site has spent so far as the coordinator accounts it (0 in privacy mode none). */
  public Map<String, Double> epsilonSpent() {
    Map<String, Double> out = new TreeMap<>();
    for (SiteRecord s : sites.values()) {
      out.put(s.id, s.spentEpsilon());
    }
    return out;
  }
}
