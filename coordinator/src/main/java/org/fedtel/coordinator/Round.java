package org.fedtel.coordinator;

import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.random.RandomGenerator;
import org.fedtel.coordinator.strategy.AggregatedUpdate;
import org.fedtel.coordinator.strategy.FitInstructions;
import org.fedtel.coordinator.strategy.SiteFailure;
import org.fedtel.coordinator.strategy.Strategy;
import org.fedtel.ledger.LedgerAudit;
import org.fedtel.ledger.v1.DataUseBody;
import org.fedtel.privacy.accounting.BudgetExceededException;
import org.fedtel.privacy.accounting.RdpAccountant;
import org.fedtel.privacy.accounting.SampledGaussian;
import org.fedtel.protocol.RejectedMessageException.Reason;
import org.fedtel.protocol.RejectedMessageException;
import org.fedtel.protocol.FeatureMoments;
import org.fedtel.protocol.RoundStatistics;
import org.fedtel.protocol.ScoreHistogram;
import org.fedtel.protocol.Wire;
import org.fedtel.protocol.v1.ConsistencyCheck;
import org.fedtel.protocol.v1.EncryptedShare;
import org.fedtel.protocol.v1.EncryptedShares;
import org.fedtel.protocol.v1.Envelope;
import org.fedtel.protocol.v1.FederatedStatisticsSpec;
import org.fedtel.protocol.v1.KeyList;
import org.fedtel.protocol.v1.MaskedInput;
import org.fedtel.protocol.v1.PrivacyMode;
import org.fedtel.protocol.v1.PrivacyParams;
import org.fedtel.protocol.v1.RoundPurpose;
import org.fedtel.protocol.v1.RoundResult;
import org.fedtel.protocol.v1.RoundStart;
import org.fedtel.protocol.v1.SecAggParams;
import org.fedtel.protocol.v1.StatisticsSpec;
import org.fedtel.protocol.v1.TrainConfig;
import org.fedtel.protocol.v1.UnmaskRequest;

/**
 * One round as a state machine over phases (DESIGN.md section 2). Each phase waits for every site
 * still in the round or for its deadline; a site that misses a deadline or disconnects is dropped,
 * and the round aborts as soon as fewer than {@code min_participants} remain.
 *
 * <pre>
 *   ADVERTISE  RoundStart -> RoundDecision (+ AdvertiseKeys if accepted)
 *   SHARE      KeyList -> EncryptedShares
 *   MASK       routed EncryptedShares -> MaskedInput (+ DataUseRecord)
 *   CHECK      ConsistencyCheck (the survivors) -> ConsistencySignature
 *   UNMASK     UnmaskRequest (+ the signatures) -> UnmaskShares; sum; strategy; RoundResult
 * </pre>
 *
 * <p>A statistics round ({@link RoundPurpose}, docs/FEDERATION.md "Federated scaling and threshold")
 * runs the same phases over the sites' noisy sums instead of model updates; its commit fits the
 * scaling or the threshold and leaves the model as it was.
 */
final class Round {
  enum Phase { ADVERTISE, SHARE, MASK, CHECK, UNMASK, DONE }

  /** Public bound of the training loss in the round statistics (losses of standardized telemetry are well below). */
  static final double STATISTICS_LOSS_BOUND = 4.0;
  /** Share gamma of the clip norm given to the round statistics in distributed mode (the update keeps sqrt(1 - gamma^2) of it). */
  static final double STATISTICS_CLIP_SHARE = 0.25;

  /** Messages to send, and the summary once the round has ended. */
  record Step(List<Outbound> messages, RoundSummary outcome) {}

  private final long number;
  private final RoundSettings settings;
  private final Strategy strategy;
  private final FitInstructions instructions;
  private final double[] global;
  private final List<String> sampled;
  private final Map<String, SiteRecord> sites;
  private final SecAggServer.Factory secaggFactory;
  private final FederationLog log;
  private final Clock clock;
  private final RandomGenerator random;
  private final Map<String, SampledGaussian> charges = new TreeMap<>();
  private final List<SiteFailure> failures = new ArrayList<>();
  /** Sites still expected to answer in the current phase. */
  private final Set<String> waiting = new LinkedHashSet<>();
  /** Sites that answered the current phase. */
  private final Set<String> answered = new LinkedHashSet<>();
  private final Map<String, Double> weights = new LinkedHashMap<>();
  private final Set<String> dataUses = new java.util.HashSet<>();
  /** Sites whose connection closed after they answered the current phase: left out at the phase change. */
  private final Set<String> disconnected = new java.util.HashSet<>();
  private List<String> participants = List.of();
  private List<String> maskedSites = List.of();
  private List<String> droppedAfterShares = List.of();
  private SecAggServer secagg;
  private Phase phase = Phase.ADVERTISE;
  private long deadline;
  private final long rotationSeed;
  private double effectiveNoiseMultiplier;
  private final RoundPurpose purpose;
  /** The scaling the sites apply in this round (null when the federation has none). */
  private final FeatureMoments.Fit scaling;
  /** Statistics rounds: the fixed-point scale of the sums (chosen at start so the ring cannot overflow). */
  private double statisticsScale;
  private final double[] means;
  private double[] fittedMeans;
  private FeatureMoments.Fit fitted;
  private double threshold = Double.NaN;

  Round(long number, RoundSettings settings, Strategy strategy, double[] global, List<String> sampled,
        Map<String, SiteRecord> sites, SecAggServer.Factory secaggFactory, FederationLog log, Clock clock,
        RandomGenerator random) {
    this(number, settings, strategy, global, sampled, sites, secaggFactory, log, clock, random, RoundPurpose.ROUND_PURPOSE_TRAINING, null,
        null);
  }

  /**
   * @param scaling the federation's scaling, sent to the sites (null: none yet)
   * @param means the FEATURE_MEANS round's means (required by a FEATURE_DEVIATIONS round)
   */
  Round(long number, RoundSettings settings, Strategy strategy, double[] global, List<String> sampled,
        Map<String, SiteRecord> sites, SecAggServer.Factory secaggFactory, FederationLog log, Clock clock,
        RandomGenerator random, RoundPurpose purpose, FeatureMoments.Fit scaling, double[] means) {
    if (purpose == RoundPurpose.ROUND_PURPOSE_FEATURE_DEVIATIONS && (means == null || means.length != settings.statistics().features())) {
      throw new IllegalArgumentException("a feature-deviations round needs the " + settings.statistics().features() + " means");
    }
    this.purpose = purpose;
    this.scaling = scaling;
    this.means = means == null ? null : means.clone();
    this.number = number;
    this.settings = settings;
    this.strategy = strategy;
    this.instructions = strategy.configure(number);
    this.global = global;
    this.sampled = sampled;
    this.sites = sites;
    this.secaggFactory = secaggFactory;
    this.log = log;
    this.clock = clock;
    this.random = random;
    this.rotationSeed = random.nextLong();
  }

  long number() {
    return number;
  }

  /** Sampled sites, and how many have answered the current phase. */
  int sampledCount() {
    return sampled.size();
  }

  int answeredCount() {
    return answered.size();
  }

  Phase phase() {
    return phase;
  }

  RoundPurpose purpose() {
    return purpose;
  }

  private String purposeName() {
    return switch (purpose) {
      case ROUND_PURPOSE_FEATURE_MEANS -> "feature_means";
      case ROUND_PURPOSE_FEATURE_DEVIATIONS -> "feature_deviations";
      case ROUND_PURPOSE_SCORE_HISTOGRAM -> "score_histogram";
      default -> "training";
    };
  }

  private boolean training() {
    return purpose == RoundPurpose.ROUND_PURPOSE_TRAINING;
  }

  /** FEATURE_MEANS rounds, once committed: the means decoded from the aggregate. */
  double[] fittedMeans() {
    return fittedMeans.clone();
  }

  /** FEATURE_DEVIATIONS rounds, once committed: the scaling fitted from the means and the aggregate. */
  FeatureMoments.Fit fitted() {
    return fitted;
  }

  /** SCORE_HISTOGRAM rounds, once committed: the threshold of the (unchanged) model; NaN otherwise. */
  double threshold() {
    return threshold;
  }

  /** Leaves out sites whose budget this round would overspend, then sends RoundStart. */
  Step start() {
    if (!training()) {
      String why = chooseStatisticsScale();
      if (why != null) {
        log.roundStarted(number, List.of(), privacyFor(null));
        return abort(why);
      }
    } else if (settings.privacyMode() == PrivacyMode.PRIVACY_MODE_DISTRIBUTED) {
      try {
        // The discrete mechanism costs slightly more than a continuous Gaussian with multiplier z;
        // its zCDP-equivalent multiplier is what is accounted (sites compute the same value).
        effectiveNoiseMultiplier = SecureAggregation.distributedDp(privacyFor(null), inputLength(), settings.modulusBits())
            .effectiveNoiseMultiplier();
      } catch (IllegalArgumentException e) {
        log.roundStarted(number, List.of(), privacyFor(null));
        return abort("distributed DP cannot be configured: " + e.getMessage());
      }
    }
    List<String> eligible = new ArrayList<>();
    for (String id : sampled) {
      SampledGaussian event = charge(sites.get(id));
      String refusal = event == null ? null : sites.get(id).refusal(event);
      if (refusal != null) {
        failures.add(new SiteFailure(id, refusal));
        sites.get(id).exhausted = true;
        log.budgetExhausted(number, id, sites.get(id).spentEpsilon(), sites.get(id).budgetEpsilon(), refusal);
      } else {
        eligible.add(id);
        if (event != null) {
          charges.put(id, event);
        }
      }
    }
    participants = List.copyOf(eligible);
    log.roundStarted(number, participants, privacyFor(null));
    if (participants.size() < settings.minParticipants()) {
      return abort("only " + participants.size() + " sampled sites have budget left, need " + settings.minParticipants());
    }
    try {
      secagg = secaggFactory.create(number, secAggParams(), privacyFor(null), inputLength());
    } catch (IllegalArgumentException e) {
      return abort("secure aggregation cannot be set up: " + e.getMessage());
    }
    deadline = clock.millis() + settings.phaseTimeout().toMillis();
    List<Outbound> out = new ArrayList<>();
    for (String id : participants) {
      RoundStart.Builder rs = RoundStart.newBuilder()
          .setTrainConfig(TrainConfig.newBuilder()
              .setLocalEpochs(settings.localEpochs())
              .setBatchSize(settings.batchSize())
              .setLearningRate(settings.learningRate())
              .setOptimizer("sgd")
              .setProximalMu(instructions.proximalMu())
              .setSeed(random.nextLong()))
          .setSecagg(secagg.params())
          .setPrivacy(privacyFor(sites.get(id)))
          .setStatistics(statisticsSpec())
          .setDeadlineEpochMillis(deadline)
          .setPurpose(purpose);
      if (!training()) {
        rs.setFederatedStatistics(federatedStatisticsSpec());
      }
      if (scaling != null) {
        rs.setScaling(scaling.toProto());
      }
      for (double p : global) {
        rs.addParameters(p);
      }
      out.add(send(id, Wire.envelope(Federation.COORDINATOR_ID, number, 0).setRoundStart(rs)));
    }
    waiting.addAll(participants);
    return new Step(out, null);
  }

  /**
   * What the sites append to their updates inside the aggregate (org.fedtel.protocol.RoundStatistics):
   * nothing in mode local, whose mechanism covers only the DP-SGD update.
   */
  private StatisticsSpec statisticsSpec() {
    if (settings.privacyMode() == PrivacyMode.PRIVACY_MODE_LOCAL || !training()) {
      return StatisticsSpec.getDefaultInstance();
    }
    StatisticsSpec.Builder b = StatisticsSpec.newBuilder().setCount(RoundStatistics.SIZE).setLossBound(STATISTICS_LOSS_BOUND);
    if (settings.privacyMode() == PrivacyMode.PRIVACY_MODE_DISTRIBUTED) {
      b.setClipShare(STATISTICS_CLIP_SHARE);
    }
    return b.build();
  }

  /** Length of each site's input to the aggregate: the model update, then the statistics; or the statistics round's sums. */
  private int inputLength() {
    return switch (purpose) {
      case ROUND_PURPOSE_FEATURE_MEANS, ROUND_PURPOSE_FEATURE_DEVIATIONS -> FeatureMoments.length(settings.statistics().features());
      case ROUND_PURPOSE_SCORE_HISTOGRAM -> settings.statistics().bins();
      default -> global.length + statisticsSpec().getCount();
    };
  }

  private FederatedStatisticsSpec federatedStatisticsSpec() {
    StatisticsSettings s = settings.statistics();
    FederatedStatisticsSpec.Builder b = FederatedStatisticsSpec.newBuilder();
    switch (purpose) {
      case ROUND_PURPOSE_FEATURE_MEANS -> b.setSize(s.features()).setBound(s.featureBound());
      case ROUND_PURPOSE_FEATURE_DEVIATIONS -> {
        b.setSize(s.features()).setBound(s.deviationBound());
        for (double m : means) {
          b.addCenter(m);
        }
      }
      default -> b.setSize(s.bins()).setBound(s.scoreBound());
    }
    return b.build();
  }

  /** L2 sensitivity of a statistics round's sums to one window. */
  private double statisticsSensitivity() {
    return purpose == RoundPurpose.ROUND_PURPOSE_SCORE_HISTOGRAM
        ? ScoreHistogram.sensitivity() : FeatureMoments.sensitivity(settings.statistics().features());
  }

  /**
   * The fixed-point scale of a statistics round: the largest power of two at which the sum of every
   * sampled site's counts (as declared in its Hello), plus ten standard deviations of the noise, stays
   * inside the signed ring. Returns why the round cannot run, or null.
   */
  private String chooseStatisticsScale() {
    double windows = 0;
    for (String id : sampled) {
      windows += Math.max(1, sites.get(id).exampleCount);
    }
    double noise = settings.privacyMode() == PrivacyMode.PRIVACY_MODE_NONE ? 0
        : settings.statistics().noiseMultiplier() * statisticsSensitivity() * Math.sqrt(sampled.size());
    double largest = windows + 10 * noise + 1;
    double room = Math.scalb(1.0, settings.modulusBits() - 1) - 1;
    double scale = Math.min(SecureAggregation.FIXED_POINT_SCALE, Math.scalb(1.0, Math.getExponent(room / largest)));
    if (!(scale >= 1)) {
      return String.format(java.util.Locale.ROOT, "a ring of %d bits cannot hold sums over %.0f windows: raise modulus_bits",
          settings.modulusBits(), windows);
    }
    statisticsScale = scale;
    return null;
  }
  private SecAggParams secAggParams() {
    byte[] seed = new byte[32];
    random.nextBytes(seed);
    return SecAggParams.newBuilder()
        .addAllParticipants(participants)
        .setModulusBits(settings.modulusBits())
        .setNeighbours(settings.neighbours())
        .setGraphSeed(com.google.protobuf.ByteString.copyFrom(seed))
        .build();
  }

  /** The accounting event this round is for {@code site} (null in privacy mode none). */
  private SampledGaussian charge(SiteRecord site) {
    if (!training()) {
      // One release of a sum with record-level sensitivity and Gaussian noise z * sensitivity.
      return settings.privacyMode() == PrivacyMode.PRIVACY_MODE_NONE ? null
          : new SampledGaussian(1.0, settings.statistics().noiseMultiplier(), 1);
    }
    return switch (settings.privacyMode()) {
      // Site-level DP-FedAvg: one release per round of a sum with noise z*C. A participating
      // site is charged without amplification by sampling (q = 1): conservative, and independent
      // of how the coordinator samples, which the sites cannot verify.
      case PRIVACY_MODE_DISTRIBUTED -> new SampledGaussian(1.0, effectiveNoiseMultiplier, 1);
      case PRIVACY_MODE_LOCAL -> {
        long n = Math.max(1, site.exampleCount);
        double q = Math.min(1.0, (double) settings.batchSize() / n);
        long steps = settings.localEpochs() * ((n + settings.batchSize() - 1) / settings.batchSize());
        yield new SampledGaussian(q, settings.noiseMultiplier(), steps);
      }
      default -> null;
    };
  }

  private PrivacyParams privacyFor(SiteRecord site) {
    if (!training()) {
      return statisticsPrivacy(site);
    }
    PrivacyParams.Builder p = PrivacyParams.newBuilder().setMode(settings.privacyMode());
    p.setQuantizationScale(SecureAggregation.FIXED_POINT_SCALE);
    if (settings.privacyMode() == PrivacyMode.PRIVACY_MODE_NONE) {
      return p.build();
    }
    p.setClipNorm(settings.clipNorm()).setNoiseMultiplier(settings.noiseMultiplier()).setDelta(settings.delta())
        .setMinSurvivors(settings.minParticipants()).setRotationSeed(rotationSeed).setSampledSites(sampled.size());
    if (site != null) {
      SampledGaussian event = charge(site);
      p.setSamplingRate(event.samplingRate()).setSteps((int) event.steps())
          .setRoundEpsilon(new RdpAccountant()
              .composeSampledGaussian(event.samplingRate(), event.noiseMultiplier(), event.steps()).epsilon(settings.delta()));
    }
    return p.build();
  }

  /**
   * A statistics round's mechanism: record-level Gaussian noise added by each site (mode local, with
   * the sums' sensitivity as the clip norm), whatever the training rounds' mode; none stays none.
   */
  private PrivacyParams statisticsPrivacy(SiteRecord site) {
    PrivacyParams.Builder p = PrivacyParams.newBuilder().setQuantizationScale(statisticsScale);
    if (settings.privacyMode() == PrivacyMode.PRIVACY_MODE_NONE) {
      return p.setMode(PrivacyMode.PRIVACY_MODE_NONE).build();
    }
    double z = settings.statistics().noiseMultiplier();
    p.setMode(PrivacyMode.PRIVACY_MODE_LOCAL).setClipNorm(statisticsSensitivity()).setNoiseMultiplier(z)
        .setDelta(settings.delta()).setMinSurvivors(settings.minParticipants()).setSampledSites(sampled.size());
    if (site != null) {
      p.setSamplingRate(1.0).setSteps(1).setRoundEpsilon(new RdpAccountant().composeSampledGaussian(1.0, z, 1).epsilon(settings.delta()));
    }
    return p.build();
  }

  /** Whether {@code siteId}'s data-use record would be accepted now (masking phase, not yet received). */
  boolean expectsDataUse(String siteId) {
    return phase == Phase.MASK && waiting.contains(siteId) && !dataUses.contains(siteId);
  }

  void receive(String siteId, Envelope e) throws RejectedMessageException {
    if (!waiting.contains(siteId)) {
      throw new RejectedMessageException(Reason.UNEXPECTED_MESSAGE, "'" + siteId + "' is not expected to send "
          + e.getBodyCase() + " in phase " + phase + " of round " + number);
    }
    switch (phase) {
      case ADVERTISE -> {
        if (e.hasRoundDecision()) {
          if (e.getRoundDecision().getAccepted()) {
            return; // its AdvertiseKeys follows
          }
          String reason = e.getRoundDecision().getReason().isEmpty() ? "refused" : e.getRoundDecision().getReason();
          failures.add(new SiteFailure(siteId, "refused: " + reason));
          charges.remove(siteId);
          waiting.remove(siteId);
          return;
        }
        expect(e, e.hasAdvertiseKeys(), "AdvertiseKeys or RoundDecision");
        secagg.advertise(siteId, sites.get(siteId).certificate, e.getAdvertiseKeys());
      }
      case SHARE -> {
        expect(e, e.hasEncryptedShares(), "EncryptedShares");
        for (EncryptedShare s : e.getEncryptedShares().getSharesList()) {
          if (!s.getFromSite().equals(siteId)) {
            throw new RejectedMessageException(Reason.BAD_CONTENT, "'" + siteId + "' sent a share claiming to be from '" + s.getFromSite() + "'");
          }
        }
        secagg.shares(siteId, e.getEncryptedShares().getSharesList());
      }
      case MASK -> {
        if (e.hasDataUse()) {
          if (dataUses.contains(siteId)) {
            throw new RejectedMessageException(Reason.UNEXPECTED_MESSAGE, "second data-use record from '" + siteId + "' in round " + number);
          }
          SampledGaussian event = charges.get(siteId);
          checkDataUse(siteId, e.getDataUse(), event);
          log.dataUse(number, siteId, e.getDataUse());
          dataUses.add(siteId);
          if (event != null) {
            // Charged once, when the use is recorded: the ledger and the auditor count it from now on,
            // whether or not the masked input ever arrives.
            try {
              sites.get(siteId).spend(event);
            } catch (BudgetExceededException ex) {
              throw new IllegalStateException("site '" + siteId + "' was checked against its budget before the record", ex);
            }
          }
          return;
        }
        expect(e, e.hasMaskedInput(), "MaskedInput or DataUseRecord");
        if (!dataUses.contains(siteId)) {
          throw new RejectedMessageException(Reason.UNEXPECTED_MESSAGE,
              "'" + siteId + "' sent its masked input before its signed data-use record");
        }
        MaskedInput m = e.getMaskedInput();
        if (m.getValuesCount() != secagg.vectorLength()) {
          throw new RejectedMessageException(Reason.BAD_CONTENT,
              "masked input of '" + siteId + "' has " + m.getValuesCount() + " values, the round expects " + secagg.vectorLength());
        }
        double w = m.getWeight();
        if (!(w > 0) || Double.isInfinite(w)) {
          throw new RejectedMessageException(Reason.BAD_CONTENT, "masked input of '" + siteId + "' has weight " + w
              + " (must be positive and finite)");
        }
        if ((settings.privacyMode() == PrivacyMode.PRIVACY_MODE_DISTRIBUTED || !training()) && w != 1.0) {
          throw new RejectedMessageException(Reason.BAD_CONTENT,
              "distributed DP bounds each site's contribution: weight must be 1, '" + siteId + "' sent " + w);
        }
        secagg.masked(siteId, m);
        weights.put(siteId, w);
      }
      case CHECK -> {
        expect(e, e.hasConsistencySignature(), "ConsistencySignature");
        try {
          secagg.signature(siteId, e.getConsistencySignature());
        } catch (RejectedMessageException ex) {
          // A site signs once: a refused signature is final. Leave it out now, with the reason, instead
          // of waiting for it until the deadline (its masked input stays in the sum).
          waiting.remove(siteId);
          failures.add(new SiteFailure(siteId, "consistency signature refused: " + ex.getMessage()));
          throw ex;
        }
      }
      case UNMASK -> {
        expect(e, e.hasUnmaskShares(), "UnmaskShares");
        secagg.unmask(siteId, e.getUnmaskShares());
      }
      default -> throw new RejectedMessageException(Reason.UNEXPECTED_MESSAGE, "round " + number + " is over");
    }
    waiting.remove(siteId);
    answered.add(siteId);
  }

  /**
   * Refuses a data-use record whose mechanism is not the one this round set for the site: the
   * coordinator countersigns the record, and the auditor recomputes the site's spend from exactly
   * these fields (DESIGN.md section 4), so a record stating less noise, a lower sampling rate or fewer
   * steps than the round used would make the ledger understate what the site spent. Doubles are
   * compared exactly: the site computes its charge with the same formula over the same inputs
   * (Round.charge and the site's DpSgdSchedule, or DistributedDp over the round's PrivacyParams),
   * and the clip norm and z are copied from the RoundStart. δ may be smaller than the site's
   * enrolled δ (that only raises the recorded ε), never larger: the auditor's rule.
   */
  private void checkDataUse(String siteId, org.fedtel.protocol.v1.DataUseRecord record, SampledGaussian event)
      throws RejectedMessageException {
    DataUseBody body;
    try {
      body = DataUseBody.parseFrom(record.getRecord());
    } catch (com.google.protobuf.InvalidProtocolBufferException ex) {
      throw new RejectedMessageException(Reason.BAD_CONTENT, "data-use record of '" + siteId + "' is malformed");
    }
    PrivacyParams round = privacyFor(null);
    org.fedtel.ledger.v1.PrivacyMode mode = switch (round.getMode()) {
      case PRIVACY_MODE_LOCAL -> org.fedtel.ledger.v1.PrivacyMode.PRIVACY_MODE_LOCAL;
      case PRIVACY_MODE_DISTRIBUTED -> org.fedtel.ledger.v1.PrivacyMode.PRIVACY_MODE_DISTRIBUTED;
      default -> org.fedtel.ledger.v1.PrivacyMode.PRIVACY_MODE_NONE;
    };
    String prefix = "data-use record of '" + siteId + "' in round " + number + " ";
    if (body.getPrivacyMode() != mode) {
      throw new RejectedMessageException(Reason.BAD_CONTENT, prefix + "states privacy mode " + body.getPrivacyMode()
          + ", the round's is " + mode);
    }
    if (event == null) {
      return; // mode none: no mechanism, nothing charged
    }
    List<String> wrong = new ArrayList<>();
    if (body.getSamplingRate() != event.samplingRate()) {
      wrong.add("sampling rate " + body.getSamplingRate() + " (round: " + event.samplingRate() + ")");
    }
    if (body.getNoiseMultiplier() != event.noiseMultiplier()) {
      wrong.add("noise multiplier " + body.getNoiseMultiplier() + " (round: " + event.noiseMultiplier() + ")");
    }
    if (body.getSteps() != event.steps()) {
      wrong.add("steps " + Long.toUnsignedString(body.getSteps()) + " (round: " + event.steps() + ")");
    }
    if (body.getClipNorm() != round.getClipNorm()) {
      wrong.add("clip norm " + body.getClipNorm() + " (round: " + round.getClipNorm() + ")");
    }
    double maxDelta = sites.get(siteId).recordDeltaLimit();
    if (!(body.getDelta() > 0 && body.getDelta() <= maxDelta)) {
      wrong.add("delta " + body.getDelta() + " (must be > 0 and at most the enrolled " + maxDelta + ")");
    }
    if (!wrong.isEmpty()) {
      throw new RejectedMessageException(Reason.BAD_CONTENT, prefix + "does not state the round's mechanism: "
          + String.join(", ", wrong));
    }
    checkEpsilons(siteId, body, event, prefix);
    String refusal = sites.get(siteId).refusal(event);
    if (refusal != null) {
      // Checked at sampling and budgets do not change after enrolment: not reachable by a site's doing.
      throw new RejectedMessageException(Reason.BAD_CONTENT, prefix + "would overspend: " + refusal);
    }
  }

  /**
   * The record's accountant and ε fields, recomputed as the auditor will (LedgerAudit: the use's own
   * RDP and every recorded use of the site composed, converted at the record's δ): a record the
   * coordinator countersigned with another value would make every later audit of the ledger fail at
   * it. A cumulative ε of +∞ is left to the auditor (it requires the site to have had a use in
   * privacy mode none, which this account does not restore after a restart).
   */
  private void checkEpsilons(String siteId, DataUseBody body, SampledGaussian event, String prefix)
      throws RejectedMessageException {
    boolean classic;
    switch (body.getAccountant()) {
      case "rdp" -> classic = false;
      case "rdp-classic" -> classic = true;
      default -> throw new RejectedMessageException(Reason.BAD_CONTENT, prefix + "names accountant '"
          + body.getAccountant() + "', not rdp or rdp-classic");
    }
    double delta = body.getDelta();
    RdpAccountant one = new RdpAccountant().composeSampledGaussian(event.samplingRate(), event.noiseMultiplier(),
        event.steps());
    double roundEps = classic ? one.epsilonClassic(delta) : one.epsilon(delta);
    if (!LedgerAudit.epsilonAsRecomputed(body.getRoundEpsilon(), roundEps)) {
      throw new RejectedMessageException(Reason.BAD_CONTENT, prefix + "states round epsilon " + body.getRoundEpsilon()
          + ", its mechanism gives " + roundEps);
    }
    if (Double.isInfinite(body.getCumulativeEpsilon())) {
      return;
    }
    RdpAccountant all = sites.get(siteId).recordedWith(event);
    double cumulative = classic ? all.epsilonClassic(delta) : all.epsilon(delta);
    if (!LedgerAudit.epsilonAsRecomputed(body.getCumulativeEpsilon(), cumulative)) {
      throw new RejectedMessageException(Reason.BAD_CONTENT, prefix + "states cumulative epsilon "
          + body.getCumulativeEpsilon() + ", the site's recorded uses give " + cumulative);
    }
  }

  private void expect(Envelope e, boolean ok, String what) throws RejectedMessageException {
    if (!ok) {
      throw new RejectedMessageException(Reason.UNEXPECTED_MESSAGE,
          "phase " + phase + " of round " + number + " expects " + what + ", got " + e.getBodyCase());
    }
  }

  void dropped(String siteId, String why) {
    if (waiting.remove(siteId)) {
      failures.add(new SiteFailure(siteId, why + " in phase " + phase));
    } else if (answered.contains(siteId) && phase != Phase.UNMASK) {
      // It cannot take part in the next phase: leave it out when this one ends instead of waiting for
      // it until the next deadline. (In UNMASK it has revealed its shares: nothing more is needed.)
      disconnected.add(siteId);
    }
  }

  /** Moves to the next phase when every expected site has answered or the deadline has passed. */
  Step advance() {
    if (phase == Phase.DONE) {
      return new Step(List.of(), null);
    }
    long now = clock.millis();
    if (!waiting.isEmpty() && now < deadline) {
      return new Step(List.of(), null);
    }
    for (String id : waiting) {
      failures.add(new SiteFailure(id, "missed the deadline of phase " + phase));
    }
    waiting.clear();
    // Sorted, so that sums and logs do not depend on arrival order (network == in-process).
    List<String> done = answered.stream().sorted().toList();
    answered.clear();
    // Those of them whose connection has closed since: they answered this phase, they take no part in
    // the next. A site whose masked input is in stays a survivor (its input is in the sum; secure
    // aggregation needs only t of the survivors' shares, Bonawitz et al. 2017, section 4).
    List<String> next = done.stream().filter(id -> !disconnected.contains(id)).toList();
    for (String id : done) {
      if (disconnected.contains(id)) {
        failures.add(new SiteFailure(id, "connection closed after answering phase " + phase));
      }
    }
    disconnected.clear();
    if (phase != Phase.MASK) {
      done = next;
    }
    if (done.size() < settings.minParticipants()) {
      return abort(done.size() + " sites completed phase " + phase + ", need " + settings.minParticipants());
    }
    deadline = now + settings.phaseTimeout().toMillis();
    List<Outbound> out = new ArrayList<>();
    switch (phase) {
      case ADVERTISE -> {
        KeyList keys;
        try {
          keys = secagg.keyList();
        } catch (AggregationFailedException e) {
          return abort("secure aggregation: " + e.getMessage());
        }
        for (String id : done) {
          out.add(send(id, Wire.envelope(Federation.COORDINATOR_ID, number, 0).setKeyList(keys)));
        }
        phase = Phase.SHARE;
      }
      case SHARE -> {
        Map<String, List<EncryptedShare>> routed;
        try {
          routed = secagg.routedShares();
        } catch (AggregationFailedException e) {
          return abort("secure aggregation: " + e.getMessage());
        }
        for (String id : done) {
          EncryptedShares shares = EncryptedShares.newBuilder().addAllShares(routed.getOrDefault(id, List.of())).build();
          out.add(send(id, Wire.envelope(Federation.COORDINATOR_ID, number, 0).setEncryptedShares(shares)));
        }
        droppedAfterShares = List.copyOf(done);
        phase = Phase.MASK;
      }
      case MASK -> {
        maskedSites = done;
        ConsistencyCheck check;
        try {
          check = secagg.consistencyCheck();
        } catch (AggregationFailedException e) {
          return abort("secure aggregation: " + e.getMessage());
        }
        for (String id : next) {
          out.add(send(id, Wire.envelope(Federation.COORDINATOR_ID, number, 0).setConsistencyCheck(check)));
        }
        phase = Phase.CHECK;
      }
      case CHECK -> {
        UnmaskRequest req;
        try {
          req = secagg.unmaskRequest();
        } catch (AggregationFailedException e) {
          return abort("secure aggregation: " + e.getMessage());
        }
        droppedAfterShares = List.copyOf(req.getDroppedList());
        for (String id : next) {
          out.add(send(id, Wire.envelope(Federation.COORDINATOR_ID, number, 0).setUnmaskRequest(req)));
        }
        phase = Phase.UNMASK;
      }
      case UNMASK -> {
        return commit(out);
      }
      default -> throw new IllegalStateException("phase " + phase);
    }
    waiting.addAll(next);
    return new Step(out, null);
  }

  private Step commit(List<Outbound> out) {
    double[] sum;
    try {
      sum = secagg.sum();
    } catch (AggregationFailedException e) {
      return abort("secure aggregation failed: " + e.getMessage());
    }
    if (sum.length != inputLength()) {
      return abort("secure aggregation returned " + sum.length + " values for an input of " + inputLength());
    }
    if (!training()) {
      return commitStatistics(sum, out);
    }
    Map<String, Double> metrics = metrics(sum);
    double meanLoss = metrics.getOrDefault("train_loss", Double.NaN);
    double totalWeight = 0;
    for (String id : maskedSites) {
      totalWeight += weights.get(id);
    }
    double[] mean = new double[global.length];
    for (int i = 0; i < mean.length; i++) {
      mean[i] = sum[i] / totalWeight;
    }
    double[] next;
    try {
      next = strategy.aggregate(number, global, new AggregatedUpdate(mean, totalWeight, maskedSites), failures);
    } catch (IllegalArgumentException e) {
      return abort("aggregate rejected: " + e.getMessage());
    }
    byte[] hash = StateStore.modelHash(next);
    log.roundCommitted(number, hash, maskedSites, droppedAfterShares);
    Map<String, Double> eps = results(out, next, hash, RoundResult.newBuilder().setTrainLoss(meanLoss));
    phase = Phase.DONE;
    return new Step(out, new RoundSummary(number, true, "", maskedSites, failures, meanLoss, metrics, eps, next, purposeName()));
  }

  /**
   * A statistics round's commit: the noisy sums become the scaling or the threshold; the model stays.
   * A sum that cannot be decoded (the noise swamped too few windows) aborts the round.
   */
  private Step commitStatistics(double[] sum, List<Outbound> out) {
    StatisticsSettings s = settings.statistics();
    Map<String, Double> metrics = new java.util.LinkedHashMap<>();
    RoundResult.Builder result = RoundResult.newBuilder().setTrainLoss(Double.NaN);
    try {
      if (purpose == RoundPurpose.ROUND_PURPOSE_FEATURE_MEANS) {
        fittedMeans = FeatureMoments.means(sum, s.features(), s.featureBound());
        metrics.put("windows", sum[s.features()]);
      } else if (purpose == RoundPurpose.ROUND_PURPOSE_FEATURE_DEVIATIONS) {
        fitted = FeatureMoments.fit(means, sum, s.deviationBound());
        metrics.put("windows", fitted.windows());
        result.setScaling(fitted.toProto());
      } else {
        threshold = ScoreHistogram.threshold(sum, s.scoreBound(), s.percentile());
        metrics.put("threshold", threshold);
        result.setThreshold(threshold);
      }
    } catch (IllegalArgumentException e) {
      return abort("federated statistics cannot be decoded: " + e.getMessage());
    }
    if (settings.privacyMode() != PrivacyMode.PRIVACY_MODE_NONE) {
      // Every survivor added noise of std z * sensitivity to each coordinate of its sums.
      metrics.put("noise_sd", s.noiseMultiplier() * statisticsSensitivity() * Math.sqrt(maskedSites.size()));
    }
    byte[] hash = StateStore.modelHash(global);
    log.roundCommitted(number, hash, maskedSites, droppedAfterShares);
    Map<String, Double> eps = results(out, global, hash, result);
    phase = Phase.DONE;
    return new Step(out, new RoundSummary(number, true, "", maskedSites, failures, Double.NaN, metrics, eps, global, purposeName()));
  }

  /** Sends every survivor its RoundResult ({@code result} completed with the model) and the checkpoint; returns ε spent. */
  private Map<String, Double> results(List<Outbound> out, double[] next, byte[] hash, RoundResult.Builder result) {
    Map<String, Double> eps = new TreeMap<>();
    for (String id : maskedSites) {
      eps.put(id, sites.get(id).spentEpsilon());
    }
    List<Double> nextParameters = new ArrayList<>(next.length);
    for (double p : next) {
      nextParameters.add(p);
    }
    result.addAllParameters(nextParameters).addAllSurvivors(maskedSites).addAllDropped(droppedAfterShares)
        .setNewModelHash(com.google.protobuf.ByteString.copyFrom(hash));
    for (String id : maskedSites) {
      RoundResult r = result.setSiteEpsilonSpent(eps.get(id)).build();
      out.add(send(id, Wire.envelope(Federation.COORDINATOR_ID, number, 0).setRoundResult(r)));
    }
    for (String id : maskedSites) {
      org.fedtel.protocol.v1.Checkpoint cp = log.checkpoint(sites.get(id).checkpointSize);
      if (cp != null) {
        out.add(send(id, Wire.envelope(Federation.COORDINATOR_ID, number, 0).setCheckpoint(cp)));
      }
    }
    return eps;
  }

  /** The survivors' statistics, decoded from the tail of the aggregate (noisy under distributed DP). */
  private Map<String, Double> metrics(double[] sum) {
    StatisticsSpec spec = statisticsSpec();
    if (spec.getCount() == 0) {
      return Map.of();
    }
    double[] stats = java.util.Arrays.copyOfRange(sum, global.length, sum.length);
    int n = maskedSites.size();
    double lossSd = 0;
    if (settings.privacyMode() == PrivacyMode.PRIVACY_MODE_DISTRIBUTED) {
      double scale = RoundStatistics.distributedScale(spec.getClipShare(), settings.clipNorm());
      for (int i = 0; i < stats.length; i++) {
        stats[i] /= scale;
      }
      // The rotation is orthonormal, so every decoded coordinate carries the aggregate's noise std
      // (calibrated at min_survivors; each extra survivor adds its share).
      double sd = SecureAggregation.distributedDp(privacyFor(null), inputLength(), settings.modulusBits()).aggregateNoiseStddev()
          * Math.sqrt(Math.max(1.0, (double) n / settings.minParticipants()));
      lossSd = sd / scale / n * spec.getLossBound();
    }
    Map<String, Double> m = new java.util.LinkedHashMap<>(RoundStatistics.metrics(stats, 0, n, spec.getLossBound()));
    m.put("train_loss_noise_sd", lossSd);
    return m;
  }

  private Step abort(String reason) {
    log.roundAborted(number, reason);
    phase = Phase.DONE;
    Map<String, Double> eps = new TreeMap<>();
    for (String id : participants) {
      eps.put(id, sites.get(id).spentEpsilon());
    }
    return new Step(List.of(), new RoundSummary(number, false, reason, List.of(), failures, Double.NaN, Map.of(), eps, null, purposeName()));
  }

  private Outbound send(String siteId, Envelope.Builder envelope) {
    return new Outbound(siteId, envelope.build());
  }
}
