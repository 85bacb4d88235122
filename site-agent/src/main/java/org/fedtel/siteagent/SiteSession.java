package org.fedtel.siteagent;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.fedtel.crypto.SigningKey;
import org.fedtel.ledger.DataUseSignatures;
import org.fedtel.ledger.LedgerException;
import org.fedtel.ledger.NoteSignature;
import org.fedtel.ledger.SignedNote;
import org.fedtel.ledger.Witness;
import org.fedtel.ledger.v1.DataUseBody;
import org.fedtel.privacy.accounting.BudgetExceededException;
import org.fedtel.privacy.accounting.PrivacyBudget;
import org.fedtel.privacy.accounting.RdpAccountant;
import org.fedtel.privacy.accounting.SampledGaussian;
import org.fedtel.protocol.RejectedMessageException.Reason;
import org.fedtel.protocol.RejectedMessageException;
import org.fedtel.protocol.FeatureMoments;
import org.fedtel.protocol.RoundStatistics;
import org.fedtel.protocol.ScoreHistogram;
import org.fedtel.protocol.Wire;
import org.fedtel.protocol.v1.AdvertiseKeys;
import org.fedtel.protocol.v1.Cosignature;
import org.fedtel.protocol.v1.DataUseRecord;
import org.fedtel.protocol.v1.EncryptedShares;
import org.fedtel.protocol.v1.Envelope;
import org.fedtel.protocol.v1.Hello;
import org.fedtel.protocol.v1.MaskedInput;
import org.fedtel.protocol.v1.PrivacyMode;
import org.fedtel.protocol.v1.PrivacyParams;
import org.fedtel.protocol.v1.RoundDecision;
import org.fedtel.protocol.v1.RoundResult;
import org.fedtel.protocol.v1.RoundPurpose;
import org.fedtel.protocol.v1.RoundStart;
import org.fedtel.protocol.v1.StatisticsSpec;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The site's transport-free engine: answers the coordinator's messages of a round (DESIGN.md
 * section 2) and enforces the site's own declared (ε, δ) budget — it recomputes each round's cost
 * from the mechanism parameters and refuses a round that would overspend, whatever the coordinator
 * claims. One session per connection; a new connection starts a new session with the same budget.
 *
 * <p>Not thread-safe: the carrier calls it from one thread.
 */
public final class SiteSession {
  private static final Logger logger = LoggerFactory.getLogger(SiteSession.class);
  private static final String COORDINATOR = "coordinator";

  private final String siteId;
  private final PrivacyBudget budget;
  private final LocalTrainer trainer;
  private final SecAggClient.Factory secagg;
  private final SigningKey signingKey;
  private final Witness witness;
  private Journal journal = Journal.NONE;
  private DataUseAccount account = new DataUseAccount();
  private java.util.function.BiConsumer<Long, double[]> modelListener = (round, model) -> { };
  private StatisticsListener statisticsListener = StatisticsListener.NONE;
  private boolean acceptUnprotected;
  /** Source of the statistics rounds' Gaussian noise: a SecureRandom unless a simulation injects one. */
  private java.util.random.RandomGenerator statisticsRandom;
  private long sequence;
  private long lastInbound = -1;
  private long highestRound;
  private Active active;
  private volatile RoundResult lastResult;
  private volatile long lastResultRound;

  /** The round in progress. */
  private static final class Active {
    final long round;
    final RoundStart start;
    final SecAggClient client;
    SampledGaussian charge;
    int phase; // 0 advertised, 1 shared, 2 masked, 3 survivors signed, 4 unmasked

    Active(long round, RoundStart start, SecAggClient client) {
      this.round = round;
      this.start = start;
      this.client = client;
    }
  }

  /**
   * @param budget the site's declared budget (its spend persists across sessions when the same
   *     object is reused), or null for a site that takes part only in rounds without privacy
   */
  public SiteSession(String siteId, PrivacyBudget budget, LocalTrainer trainer, SecAggClient.Factory secagg,
                     SigningKey signingKey, Witness witness) {
    if (siteId == null || siteId.isEmpty() || COORDINATOR.equals(siteId)) {
      throw new IllegalArgumentException("invalid site id '" + siteId + "'");
    }
    this.siteId = siteId;
    this.budget = budget;
    this.trainer = trainer;
    this.secagg = secagg;
    this.signingKey = signingKey;
    this.witness = witness;
  }

  /**
   * Where the site makes its state durable: called synchronously when the session spends budget
   * (before anything derived from the data is released) and when it accepts a checkpoint (before the
   * cosignature is sent). A failure stops the round: nothing is released that was not recorded first.
   */
  public interface Journal {
    Journal NONE = new Journal() {
      @Override
      public void charged(long round, SampledGaussian charge) {}

      @Override
      public void accepted(SignedNote checkpoint) {}

      @Override
      public void released(long round) {}
    };

    void charged(long round, SampledGaussian charge) throws java.io.IOException;

    /**
     * The site is about to release a masked input in an uncharged round (privacy mode none); charged
     * rounds are in {@link #charged}. Durable before it returns, so that a restarted agent does not
     * run the round again.
     */
    void released(long round) throws java.io.IOException;

    void accepted(SignedNote checkpoint) throws java.io.IOException;
  }

  /**
   * Whether a site with a declared budget takes part in rounds in privacy mode none (default: no).
   * Such a round releases the exact update or statistics of the site's data, which no finite (ε, δ)
   * covers (DESIGN.md section 2: a site never spends past its declared budget), so it is refused
   * unless the site opted in. A site without a budget takes part only in such rounds, opt-in or not.
   */
  public SiteSession acceptUnprotectedRounds(boolean accept) {
    this.acceptUnprotected = accept;
    return this;
  }

  /** Makes this session record its spends and accepted checkpoints in {@code journal}. */
  public SiteSession journal(Journal journal) {
    this.journal = java.util.Objects.requireNonNull(journal, "journal");
    return this;
  }

  /**
   * Makes this session keep its charges in {@code account}, which outlives the connection: give every
   * session of one agent the same account (restored from the site's state after a restart).
   */
  public SiteSession account(DataUseAccount account) {
    this.account = java.util.Objects.requireNonNull(account, "account");
    return this;
  }

  /**
   * Called with each new global model a RoundResult carries (after its hash is checked), e.g. for
   * live scoring. The session itself keeps only the result without the model.
   */
  public SiteSession onNewModel(java.util.function.BiConsumer<Long, double[]> listener) {
    this.modelListener = java.util.Objects.requireNonNull(listener, "listener");
    return this;
  }

  /** What the federated statistics rounds produce, for whoever scores with the global model. */
  public interface StatisticsListener {
    StatisticsListener NONE = new StatisticsListener() {
      @Override public void scaling(FeatureMoments.Fit scaling) {}

      @Override public void threshold(byte[] modelHash, double threshold) {}
    };

    /** The federation's scaling (from the feature-deviations round's result, or a RoundStart that carries it). */
    void scaling(FeatureMoments.Fit scaling);

    /** The federation's detection threshold of the model with SHA-256 {@code modelHash}. */
    void threshold(byte[] modelHash, double threshold);
  }

  /** Called with the scaling and thresholds the federated statistics rounds produce. */
  public SiteSession onStatistics(StatisticsListener listener) {
    this.statisticsListener = java.util.Objects.requireNonNull(listener, "listener");
    return this;
  }

  /** The generator of the statistics rounds' noise (default: a {@link java.security.SecureRandom}); simulations seed it. */
  public SiteSession statisticsRandom(java.util.random.RandomGenerator random) {
    this.statisticsRandom = java.util.Objects.requireNonNull(random, "random");
    return this;
  }

  /** The first message on a new connection. */
  public Envelope hello() {
    Hello.Builder h = Hello.newBuilder().setSoftwareVersion("fedtel-" + Wire.PROTOCOL_VERSION)
        .setExampleCount(trainer.exampleCount())
        .setLastCheckpointSize(witness.acceptedSize())
        .addAllUnconfirmedRounds(account.unconfirmed());
    if (budget != null) {
      h.setBudgetEpsilon(budget.declaredEpsilon()).setBudgetDelta(budget.declaredDelta());
    }
    return Wire.envelope(siteId, 0, ++sequence).setHello(h).build();
  }

  /**
   * Handles one envelope from the coordinator.
   *
   * @return the envelopes to send back, in order
   * @throws RejectedMessageException if the envelope is not acceptable; the session is unchanged
   */
  public List<Envelope> onEnvelope(Envelope e) throws RejectedMessageException {
    if (!COORDINATOR.equals(e.getSenderId())) {
      throw new RejectedMessageException(Reason.SENDER_MISMATCH, "message from '" + e.getSenderId() + "', expected the coordinator");
    }
    if (e.getSequence() <= lastInbound) {
      throw new RejectedMessageException(Reason.REPLAY, "sequence " + e.getSequence() + " is not above " + lastInbound);
    }
    List<Envelope> out = switch (e.getBodyCase()) {
      case ROUND_START -> start(e);
      case ERROR -> {
        logger.warn("coordinator reports {}: {}", e.getError().getCode(), e.getError().getMessage());
        yield List.of();
      }
      case HEARTBEAT -> List.of();
      case DATA_USE_STATUS -> {
        account.status(e.getDataUseStatus().getRecordedRoundsList(), e.getDataUseStatus().getUnrecordedRoundsList());
        if (e.getDataUseStatus().getUnrecordedRoundsCount() > 0) {
          logger.warn("site {}: the ledger holds no data use of round(s) {}; their charges stay in this site's budget but not in"
              + " the cumulative epsilon it records", siteId, e.getDataUseStatus().getUnrecordedRoundsList());
        }
        yield List.of();
      }
      case CHECKPOINT -> cosign(e);
      default -> inRound(e);
    };
    lastInbound = e.getSequence();
    return out;
  }

  private List<Envelope> start(Envelope e) throws RejectedMessageException {
    long round = e.getRound();
    if (round <= highestRound) {
      throw new RejectedMessageException(Reason.WRONG_ROUND, "RoundStart for round " + round + " but round " + highestRound + " was already seen");
    }
    // Across connections and restarts: the account holds every round this site charged, restored from
    // its durable state. The coordinator never starts a round number twice, so a repeat is a replay
    // that would use the data again while the durable log (one charge per round) records it once.
    long charged = account.highestCharged();
    if (round <= charged) {
      throw new RejectedMessageException(Reason.WRONG_ROUND, "RoundStart for round " + round + " but this site already charged round "
          + charged);
    }
    // Uncharged rounds too (privacy mode none), across this agent's connections: a round run twice
    // with the same input and other survivors would give away the input as a difference of sums.
    long released = account.highestReleased();
    if (round <= released) {
      throw new RejectedMessageException(Reason.WRONG_ROUND, "RoundStart for round " + round
          + " but this site already released a masked input in round " + released);
    }
    RoundStart rs = e.getRoundStart();
    if (rs.getParametersCount() == 0) {
      throw new RejectedMessageException(Reason.BAD_CONTENT, "RoundStart of round " + round + " has no parameters");
    }
    for (double p : rs.getParametersList()) {
      if (!Double.isFinite(p)) {
        throw new RejectedMessageException(Reason.BAD_CONTENT, "RoundStart of round " + round + " has a non-finite parameter");
      }
    }
    if (!rs.getSecagg().getParticipantsList().contains(siteId)) {
      throw new RejectedMessageException(Reason.BAD_CONTENT, "RoundStart of round " + round + " does not list this site as a participant");
    }
    highestRound = round;
    active = null;
    String refusal;
    SampledGaussian charge;
    try {
      charge = charge(rs);
      refusal = refusal(charge);
    } catch (IllegalArgumentException ex) {
      charge = null;
      refusal = "privacy parameters rejected: " + ex.getMessage();
    }
    if (refusal != null) {
      logger.info("site {} refuses round {}: {}", siteId, round, refusal);
      return List.of(envelope(round).setRoundDecision(RoundDecision.newBuilder().setAccepted(false).setReason(refusal)).build());
    }
    int length;
    try {
      if (rs.getPurpose() == RoundPurpose.ROUND_PURPOSE_TRAINING) {
        checkStatistics(rs);
        length = rs.getParametersCount() + rs.getStatistics().getCount();
      } else {
        length = statisticsLength(rs);
      }
      if (rs.hasScaling()) {
        scalingOf(rs.getScaling()); // refused now, not in the middle of the round
      }
    } catch (IllegalArgumentException ex) {
      String why = "round request rejected: " + ex.getMessage();
      logger.warn("site {} refuses round {}: {}", siteId, round, why);
      return List.of(envelope(round).setRoundDecision(RoundDecision.newBuilder().setAccepted(false).setReason(why)).build());
    }
    SecAggClient client;
    try {
      client = secagg.create(round, siteId, rs.getSecagg(), rs.getPrivacy(), length);
    } catch (IllegalArgumentException ex) {
      String why = "secure aggregation parameters rejected: " + ex.getMessage();
      logger.warn("site {} refuses round {}: {}", siteId, round, why);
      return List.of(envelope(round).setRoundDecision(RoundDecision.newBuilder().setAccepted(false).setReason(why)).build());
    }
    active = new Active(round, rs, client);
    active.charge = charge;
    AdvertiseKeys keys = active.client.advertise();
    return List.of(
        envelope(round).setRoundDecision(RoundDecision.newBuilder().setAccepted(true)).build(),
        envelope(round).setAdvertiseKeys(keys).build());
  }

  /** Verifies the checkpoint is consistent with the last one this site accepted, and cosigns it. */
  private List<Envelope> cosign(Envelope e) throws RejectedMessageException {
    org.fedtel.protocol.v1.Checkpoint cp = e.getCheckpoint();
    try {
      SignedNote note = SignedNote.parse(cp.getSignedNote().toByteArray());
      if (cp.getFromSize() != witness.acceptedSize() && witness.acceptedSize() != 0) {
        throw new RejectedMessageException(Reason.BAD_CONTENT, "checkpoint proof is from size " + cp.getFromSize()
            + " but this site last accepted size " + witness.acceptedSize());
      }
      List<byte[]> proof = new ArrayList<>();
      for (com.google.protobuf.ByteString h : cp.getConsistencyProofList()) {
        proof.add(h.toByteArray());
      }
      NoteSignature sig = witness.cosign(note, proof);
      long size = witness.acceptedSize();
      try {
        journal.accepted(note);
      } catch (java.io.IOException ex) {
        throw new IllegalStateException("site " + siteId + " cannot record the accepted checkpoint: " + ex.getMessage(), ex);
      }
      return List.of(Wire.envelope(siteId, e.getRound(), ++sequence).setCosignature(Cosignature.newBuilder()
          .setSignatureLine(com.google.protobuf.ByteString.copyFrom(sig.line(), java.nio.charset.StandardCharsets.UTF_8))
          .setCheckpointSize(size)).build());
    } catch (LedgerException ex) {
      // A fork (evidence kept in the witness), a rollback or a proof that does not hold: refuse to
      // cosign, and say so loudly.
      logger.error("site {} refuses to cosign a checkpoint: {}", siteId, ex.getMessage());
      throw new RejectedMessageException(Reason.BAD_CONTENT, "checkpoint not cosigned: " + ex.getMessage());
    }
  }

  /** The accounting event of this round for this site, recomputed from the mechanism, never from the claimed ε. */
  private SampledGaussian charge(RoundStart rs) {
    PrivacyParams p = rs.getPrivacy();
    if (rs.getPurpose() != RoundPurpose.ROUND_PURPOSE_TRAINING) {
      return statisticsCharge(rs);
    }
    return switch (p.getMode()) {
      case PRIVACY_MODE_NONE -> null;
      // The discrete mechanism's zCDP-equivalent multiplier, recomputed here from the parameters.
      case PRIVACY_MODE_DISTRIBUTED -> {
        checkMinSurvivors(rs);
        yield new SampledGaussian(1.0, SecureAggregation.distributedDp(p,
            rs.getParametersCount() + rs.getStatistics().getCount(), rs.getSecagg().getModulusBits()).effectiveNoiseMultiplier(), 1);
      }
      case PRIVACY_MODE_LOCAL -> {
        DpSgdSchedule s = DpSgdSchedule.of(trainer.exampleCount(), rs.getTrainConfig().getBatchSize(),
            rs.getTrainConfig().getLocalEpochs());
        yield new SampledGaussian(s.samplingRate(), p.getNoiseMultiplier(), s.steps());
      }
      default -> throw new IllegalArgumentException("unknown privacy mode " + p.getMode());
    };
  }

  /**
   * In distributed mode each site adds only its share σ²/n_min of the noise, so the round is private
   * only if every sum the server can unmask holds at least n_min inputs. The server learns the sum of
   * whichever survivors it names, and secure aggregation lets it unmask as few as the threshold t
   * (Bonawitz et al., CCS 2017, section 4; Kairouz, Liu and Steinke 2021, section 4: the noise is
   * calibrated to the fewest survivors). So n_min, which the coordinator chooses, must not exceed t
   * (with the complete graph), nor the round's participants. (sampled_sites only bounds the aggregate's range in the ring; a
   * larger value costs precision, not privacy, and the charge computed from it stays honest.)
   */
  private static void checkMinSurvivors(RoundStart rs) {
    int minSurvivors = rs.getPrivacy().getMinSurvivors();
    int participants = rs.getSecagg().getParticipantsCount();
    int threshold = rs.getSecagg().getThreshold();
    if (minSurvivors > participants) {
      throw new IllegalArgumentException("min_survivors " + minSurvivors + " exceeds the " + participants
          + " participants of the round: the noise share of each site would be too small for the sum of those who take part");
    }
    // With the complete graph the server needs t survivors to unmask anything, so t bounds the smallest
    // sum. With the SecAgg+ graph (neighbours > 0) t is per share group of k + 1 sites and does not
    // bound it (nor does anything a site can check: the coordinator picks the graph, docs/CRYPTO.md
    // section 6), so there the calibration at n_min rests on the coordinator following the protocol.
    if (rs.getSecagg().getNeighbours() == 0 && minSurvivors > threshold) {
      throw new IllegalArgumentException("min_survivors " + minSurvivors + " exceeds the secure-aggregation threshold " + threshold
          + ": the sum of as few as " + threshold + " sites can be unmasked, with less noise than accounted");
    }
  }

  /**
   * A statistics round's event: one Gaussian release (q = 1, one step) with multiplier z, whose noise
   * this site adds itself at its own sensitivity — the coordinator's stated sensitivity must agree.
   */
  private SampledGaussian statisticsCharge(RoundStart rs) {
    PrivacyParams p = rs.getPrivacy();
    switch (p.getMode()) {
      case PRIVACY_MODE_NONE:
        return null;
      case PRIVACY_MODE_LOCAL:
        break;
      default:
        throw new IllegalArgumentException("a statistics round must be in privacy mode none or local, not " + p.getMode());
    }
    double z = p.getNoiseMultiplier();
    if (!(z > 0) || Double.isInfinite(z)) {
      throw new IllegalArgumentException("statistics noise multiplier " + z + " is not positive and finite");
    }
    double sensitivity = statisticsSensitivity(rs);
    if (p.getClipNorm() != sensitivity) {
      throw new IllegalArgumentException("the round states sensitivity " + p.getClipNorm() + ", this site's sums have " + sensitivity);
    }
    return new SampledGaussian(1.0, z, 1);
  }

  private static double statisticsSensitivity(RoundStart rs) {
    return rs.getPurpose() == RoundPurpose.ROUND_PURPOSE_SCORE_HISTOGRAM ? ScoreHistogram.sensitivity()
        : FeatureMoments.sensitivity((int) Math.min(1 << 20, rs.getFederatedStatistics().getSize()));
  }

  /** Checks a statistics round's request against this site's windows; returns the length of its sums. */
  private int statisticsLength(RoundStart rs) {
    LocalTrainer.StatisticsSource source = trainer.statisticsSource();
    if (source == null) {
      throw new IllegalArgumentException("this site's trainer does not take part in federated statistics");
    }
    long size = rs.getFederatedStatistics().getSize();
    double bound = rs.getFederatedStatistics().getBound();
    if (!(bound > 0) || Double.isInfinite(bound)) {
      throw new IllegalArgumentException("statistics bound " + bound + " is not positive and finite");
    }
    return switch (rs.getPurpose()) {
      case ROUND_PURPOSE_FEATURE_MEANS, ROUND_PURPOSE_FEATURE_DEVIATIONS -> {
        if (size != source.featureCount()) {
          throw new IllegalArgumentException("feature statistics of " + size + " features requested, this site's windows have "
              + source.featureCount());
        }
        if (rs.getPurpose() == RoundPurpose.ROUND_PURPOSE_FEATURE_DEVIATIONS) {
          if (rs.getFederatedStatistics().getCenterCount() != size) {
            throw new IllegalArgumentException("feature deviations around " + rs.getFederatedStatistics().getCenterCount()
                + " means for " + size + " features");
          }
          for (double m : rs.getFederatedStatistics().getCenterList()) {
            if (!Double.isFinite(m)) {
              throw new IllegalArgumentException("feature deviations around a non-finite mean");
            }
          }
        }
        yield FeatureMoments.length(source.featureCount());
      }
      case ROUND_PURPOSE_SCORE_HISTOGRAM -> {
        if (size < 2 || size > 1 << 16) {
          throw new IllegalArgumentException("a score histogram of " + size + " bins is not in [2, 65536]");
        }
        yield (int) size;
      }
      default -> throw new IllegalArgumentException("unknown round purpose " + rs.getPurpose());
    };
  }

  /** A received scaling, checked against this site's windows. */
  private FeatureMoments.Fit scalingOf(org.fedtel.protocol.v1.FeatureScaling scaling) {
    LocalTrainer.StatisticsSource source = trainer.statisticsSource();
    if (source == null) {
      throw new IllegalArgumentException("the round carries a federated scaling, but this site's trainer cannot re-scale");
    }
    FeatureMoments.Fit fit = FeatureMoments.Fit.fromProto(scaling);
    if (fit.offset().length != source.featureCount()) {
      throw new IllegalArgumentException("a scaling of " + fit.offset().length + " features, this site's windows have "
          + source.featureCount());
    }
    return fit;
  }

  private void useScaling(org.fedtel.protocol.v1.FeatureScaling scaling) {
    FeatureMoments.Fit fit = scalingOf(scaling);
    trainer.statisticsSource().useScaling(fit);
    statisticsListener.scaling(fit);
  }

  private String refusal(SampledGaussian charge) {
    if (charge == null) {
      if (budget != null && !acceptUnprotected) {
        return String.format(Locale.ROOT, "privacy mode none would release this site's data without noise, and it declared a budget"
            + " of epsilon %.4g; it takes part in unprotected rounds only when configured to (accept_unprotected)", budget.declaredEpsilon());
      }
      return null; // privacy mode none, accepted: a baseline, flagged as such in the ledger
    }
    if (budget == null) {
      return "this site declared no privacy budget";
    }
    if (budget.wouldExceed(charge)) {
      return String.format(Locale.ROOT, "budget: round would bring epsilon to %.4g, declared %.4g (%.4g spent)",
          budget.epsilonAfter(charge), budget.declaredEpsilon(), budget.spentEpsilon());
    }
    return null;
  }

  private List<Envelope> inRound(Envelope e) throws RejectedMessageException {
    if (active == null || e.getRound() != active.round) {
      throw new RejectedMessageException(Reason.WRONG_ROUND, e.getBodyCase() + " for round " + e.getRound()
          + (active == null ? " but no round is in progress" : " but round " + active.round + " is in progress"));
    }
    long round = active.round;
    switch (e.getBodyCase()) {
      case KEY_LIST -> {
        requirePhase(0, e);
        List<org.fedtel.protocol.v1.EncryptedShare> shares = active.client.shares(e.getKeyList());
        active.phase = 1;
        return List.of(envelope(round).setEncryptedShares(EncryptedShares.newBuilder().addAllShares(shares)).build());
      }
      case ENCRYPTED_SHARES -> {
        requirePhase(1, e);
        active.client.receiveShares(e.getEncryptedShares().getSharesList());
        return maskedInput();
      }
      case CONSISTENCY_CHECK -> {
        requirePhase(2, e);
        Envelope reply = envelope(round).setConsistencySignature(active.client.sign(e.getConsistencyCheck())).build();
        active.phase = 3;
        return List.of(reply);
      }
      case UNMASK_REQUEST -> {
        requirePhase(3, e);
        Envelope reply = envelope(round).setUnmaskShares(active.client.unmask(e.getUnmaskRequest())).build();
        active.phase = 4;
        return List.of(reply);
      }
      case ROUND_RESULT -> {
        // From the masked input on: a site whose input is in the sum takes the result even if it did
        // not sign or unmask in time (the others' shares carried the round).
        if (active.phase < 2) {
          requirePhase(4, e);
        }
        checkModel(e.getRoundResult());
        RoundResult result = e.getRoundResult();
        if (result.getParametersCount() > 0) {
          double[] model = new double[result.getParametersCount()];
          for (int i = 0; i < model.length; i++) {
            model[i] = result.getParameters(i);
          }
          modelListener.accept(active.round, model);
          // Simulations keep a session per site: holding every site's copy of the model would grow
          // memory with the number of sites.
          result = result.toBuilder().clearParameters().build();
        }
        statisticsResult(e.getRoundResult());
        lastResult = result;
        lastResultRound = active.round;
        account.confirmed(active.round);
        active = null;
        return List.of();
      }
      default -> throw new RejectedMessageException(Reason.UNEXPECTED_MESSAGE, "a site does not accept " + e.getBodyCase());
    }
  }

  /** A statistics round's outcome: the federation's scaling (applied now) or its threshold for the model. */
  private void statisticsResult(RoundResult r) throws RejectedMessageException {
    RoundPurpose purpose = active.start.getPurpose();
    if (purpose == RoundPurpose.ROUND_PURPOSE_FEATURE_DEVIATIONS) {
      if (!r.hasScaling()) {
        throw new RejectedMessageException(Reason.BAD_CONTENT, "RoundResult of feature-deviations round " + active.round + " has no scaling");
      }
      try {
        useScaling(r.getScaling());
      } catch (IllegalArgumentException ex) {
        throw new RejectedMessageException(Reason.BAD_CONTENT, "RoundResult of round " + active.round + ": " + ex.getMessage());
      }
    } else if (purpose == RoundPurpose.ROUND_PURPOSE_SCORE_HISTOGRAM) {
      double t = r.getThreshold();
      if (!(t >= 0) || Double.isInfinite(t)) {
        throw new RejectedMessageException(Reason.BAD_CONTENT, "RoundResult of round " + active.round + " has threshold " + t);
      }
      statisticsListener.threshold(r.getNewModelHash().toByteArray(), t);
    }
  }

  /** The new model, when sent, must be the one the result's hash (and so the ledger) names. */
  private void checkModel(RoundResult r) throws RejectedMessageException {
    if (r.getParametersCount() == 0) {
      return;
    }
    if (r.getParametersCount() != active.start.getParametersCount()) {
      throw new RejectedMessageException(Reason.BAD_CONTENT, "RoundResult of round " + active.round + " has "
          + r.getParametersCount() + " parameters, the model " + active.start.getParametersCount());
    }
    java.nio.ByteBuffer buf = java.nio.ByteBuffer.allocate(r.getParametersCount() * Double.BYTES);
    for (int i = 0; i < r.getParametersCount(); i++) {
      double p = r.getParameters(i);
      if (!Double.isFinite(p)) {
        throw new RejectedMessageException(Reason.BAD_CONTENT, "RoundResult of round " + active.round + " has a non-finite parameter");
      }
      buf.putDouble(p);
    }
    byte[] hash;
    try {
      hash = java.security.MessageDigest.getInstance("SHA-256").digest(buf.array());
    } catch (java.security.NoSuchAlgorithmException ex) {
      throw new IllegalStateException("SHA-256 is required of every Java platform", ex);
    }
    if (!java.security.MessageDigest.isEqual(hash, r.getNewModelHash().toByteArray())) {
      throw new RejectedMessageException(Reason.BAD_CONTENT, "RoundResult of round " + active.round
          + ": the new model does not match its hash");
    }
  }

  private void requirePhase(int phase, Envelope e) throws RejectedMessageException {
    if (active.phase != phase) {
      throw new RejectedMessageException(Reason.UNEXPECTED_MESSAGE, e.getBodyCase() + " is out of order in round " + active.round);
    }
  }

  /** The site's signed record of this use of its data, with what an auditor needs to recompute ε. */
  private Envelope dataUse(RoundStart rs) {
    PrivacyParams p = rs.getPrivacy();
    DataUseBody.Builder b = DataUseBody.newBuilder()
        .setRound(active.round)
        .setSiteId(siteId)
        .setDatasetSha256(com.google.protobuf.ByteString.copyFrom(trainer.datasetSha256()))
        .setRecordCount(trainer.exampleCount())
        .setAccountant("rdp");
    if (active.charge == null) {
      b.setPrivacyMode(org.fedtel.ledger.v1.PrivacyMode.PRIVACY_MODE_NONE)
          .setRoundEpsilon(Double.POSITIVE_INFINITY).setCumulativeEpsilon(Double.POSITIVE_INFINITY);
    } else {
      SampledGaussian c = active.charge;
      double delta = budget.declaredDelta();
      b.setPrivacyMode(p.getMode() == PrivacyMode.PRIVACY_MODE_LOCAL ? org.fedtel.ledger.v1.PrivacyMode.PRIVACY_MODE_LOCAL
              : org.fedtel.ledger.v1.PrivacyMode.PRIVACY_MODE_DISTRIBUTED)
          .setClipNorm(p.getClipNorm())
          .setNoiseMultiplier(c.noiseMultiplier())
          .setSamplingRate(c.samplingRate())
          .setSteps(c.steps())
          .setDelta(delta)
          .setRoundEpsilon(new RdpAccountant().composeSampledGaussian(c.samplingRate(), c.noiseMultiplier(), c.steps()).epsilon(delta))
          .setCumulativeEpsilon(account.recordedEpsilon(delta));
    }
    byte[] body = DataUseSignatures.serialize(b.build());
    return envelope(active.round).setDataUse(DataUseRecord.newBuilder()
        .setRecord(com.google.protobuf.ByteString.copyFrom(body))
        .setSiteSignature(com.google.protobuf.ByteString.copyFrom(DataUseSignatures.signBySite(signingKey, body)))).build();
  }

  private List<Envelope> maskedInput() throws RejectedMessageException {
    RoundStart rs = active.start;
    double[] global = new double[rs.getParametersCount()];
    for (int i = 0; i < global.length; i++) {
      global[i] = rs.getParameters(i);
    }
    if (rs.hasScaling()) {
      useScaling(rs.getScaling()); // checked at round start
    }
    if (rs.getPurpose() != RoundPurpose.ROUND_PURPOSE_TRAINING) {
      return statisticsInput(rs, global);
    }
    // The global model the round starts from, scored on the held-out windows before training.
    LocalTrainer.Validation validation = rs.getStatistics().getCount() > 0 ? trainer.validate(global) : null;
    LocalTrainer.LocalUpdate update = trainer.train(active.round, global, rs.getTrainConfig(), rs.getPrivacy());
    spend();
    double[] delta = update.delta();
    if (delta.length != global.length) {
      throw new IllegalStateException("trainer returned " + delta.length + " values for a model of " + global.length);
    }
    StatisticsSpec spec = rs.getStatistics();
    double[] input = new double[delta.length + spec.getCount()];
    if (spec.getCount() > 0) {
      statistics(validation, update.trainLoss()).encode(spec.getLossBound(), input, delta.length);
    }
    double weight;
    if (rs.getPrivacy().getMode() == PrivacyMode.PRIVACY_MODE_DISTRIBUTED) {
      // DP-FedAvg: every site's contribution is bounded by C, unweighted. The statistics take the share
      // gamma of C, so the whole vector the mechanism noises has norm at most C.
      double c = rs.getPrivacy().getClipNorm();
      double gamma = spec.getCount() > 0 ? spec.getClipShare() : 0;
      clip(delta, c * Math.sqrt(1 - gamma * gamma));
      double statScale = RoundStatistics.distributedScale(gamma, c);
      for (int i = delta.length; i < input.length; i++) {
        input[i] *= statScale;
      }
      weight = 1.0;
    } else {
      weight = trainer.exampleCount();
      for (int i = 0; i < delta.length; i++) {
        delta[i] *= weight;
      }
    }
    System.arraycopy(delta, 0, input, 0, delta.length);
    MaskedInput masked = active.client.mask(input).toBuilder().setWeight(weight).build();
    active.phase = 2;
    return List.of(dataUse(rs), envelope(active.round).setMaskedInput(masked).build());
  }

  /**
   * A statistics round's input: this site's exact sums over its training windows plus Gaussian noise
   * of std z·(Δ + g√d) per coordinate, Δ the sums' sensitivity to one window and g the noise grid
   * (the grid rounding can move neighbouring sums up to g√d further apart; GaussianNoise, Mironov 2012).
   */
  private List<Envelope> statisticsInput(RoundStart rs, double[] global) throws RejectedMessageException {
    LocalTrainer.StatisticsSource source = trainer.statisticsSource();
    org.fedtel.protocol.v1.FederatedStatisticsSpec spec = rs.getFederatedStatistics();
    double[] sums = switch (rs.getPurpose()) {
      case ROUND_PURPOSE_FEATURE_MEANS -> source.featureMeans(spec.getBound());
      case ROUND_PURPOSE_FEATURE_DEVIATIONS -> source.featureDeviations(
          spec.getCenterList().stream().mapToDouble(Double::doubleValue).toArray(), spec.getBound());
      default -> ScoreHistogram.contribution(source.trainingScores(global), (int) spec.getSize(), spec.getBound());
    };
    spend();
    if (active.charge != null) {
      if (statisticsRandom == null) {
        statisticsRandom = new java.security.SecureRandom();
      }
      addStatisticsNoise(sums, active.charge.noiseMultiplier(), statisticsSensitivity(rs), statisticsRandom);
    }
    MaskedInput masked = active.client.mask(sums).toBuilder().setWeight(1.0).build();
    active.phase = 2;
    return List.of(dataUse(rs), envelope(active.round).setMaskedInput(masked).build());
  }

  /**
   * Adds to each of the {@code sums} Gaussian noise of std z·(Δ + g√d) (see {@link #statisticsInput});
   * returns that std.
   */
  static double addStatisticsNoise(double[] sums, double z, double sensitivity, java.util.random.RandomGenerator random) {
    double grid = org.fedtel.privacy.noise.GaussianNoise.granularity(2 * z * sensitivity);
    double sigma = z * (sensitivity + grid * Math.sqrt(sums.length));
    new org.fedtel.privacy.noise.GaussianNoise(random).addNoiseInPlace(sums, sigma);
    return sigma;
  }

  /**
   * Spends the round's charge before anything derived from the data is released (the data-use record
   * and the masked input); a site that dies while computing has released nothing and spent nothing,
   * which keeps its account equal to what the ledger can recompute.
   */
  private void spend() {
    account.released(active.round);
    if (active.charge == null) {
      try {
        journal.released(active.round);
      } catch (java.io.IOException ex) {
        throw new IllegalStateException("site " + siteId + " cannot record its release in round " + active.round + ": " + ex.getMessage(), ex);
      }
    }
    if (active.charge != null) {
      // The account first: it refuses a round charged already (by a session on an earlier connection
      // that accepted the same round concurrently), before the budget counts it twice.
      account.charged(active.round, active.charge);
      try {
        budget.record(active.charge);
      } catch (BudgetExceededException ex) {
        throw new IllegalStateException("budget checked at round start was exceeded: " + ex.getMessage(), ex);
      }
      try {
        journal.charged(active.round, active.charge);
      } catch (java.io.IOException ex) {
        throw new IllegalStateException("site " + siteId + " cannot record its spend of round " + active.round + ": " + ex.getMessage(), ex);
      }
    }
  }

  private static RoundStatistics statistics(LocalTrainer.Validation v, double trainLoss) {
    return v == null ? RoundStatistics.trainingOnly(trainLoss)
        : new RoundStatistics(trainLoss, true, v.truePositive(), v.falsePositive(), v.falseNegative());
  }

  /** The round's statistics request must be one this site can answer within its privacy mode. */
  private static void checkStatistics(RoundStart rs) {
    StatisticsSpec spec = rs.getStatistics();
    if (spec.getCount() == 0) {
      return;
    }
    if (spec.getCount() != RoundStatistics.SIZE) {
      throw new IllegalArgumentException("statistics of " + spec.getCount() + " values requested, this site sends "
          + RoundStatistics.SIZE);
    }
    if (!(spec.getLossBound() > 0) || Double.isInfinite(spec.getLossBound())) {
      throw new IllegalArgumentException("statistics loss bound " + spec.getLossBound() + " is not positive and finite");
    }
    switch (rs.getPrivacy().getMode()) {
      case PRIVACY_MODE_DISTRIBUTED -> {
        if (!(spec.getClipShare() > 0 && spec.getClipShare() < 1)) {
          throw new IllegalArgumentException("statistics clip share " + spec.getClipShare() + " is not in (0, 1)");
        }
      }
      // Local DP covers the update only: statistics outside that mechanism would be released unaccounted.
      case PRIVACY_MODE_LOCAL -> throw new IllegalArgumentException("privacy mode local releases no round statistics");
      default -> { }
    }
  }

  /** Scales {@code v} to L2 norm at most {@code c} (McMahan et al., ICLR 2018, DP-FedAvg). */
  static void clip(double[] v, double c) {
    double sq = 0;
    for (double x : v) {
      sq += x * x;
    }
    double norm = Math.sqrt(sq);
    if (norm > c) {
      double s = c / norm;
      for (int i = 0; i < v.length; i++) {
        v[i] *= s;
      }
    }
  }

  private Envelope.Builder envelope(long round) {
    return Wire.envelope(siteId, round, ++sequence);
  }

  public String siteId() {
    return siteId;
  }

  /** The site's ε spent so far at its declared δ (0 without a budget). */
  public double spentEpsilon() {
    return budget == null ? 0 : budget.spentEpsilon();
  }

  /** The round of {@link #lastResult()}, 0 if none. */
  public long lastRound() {
    return lastResultRound;
  }

  /** The last round result received, or null. */
  public RoundResult lastResult() {
    return lastResult;
  }
}
