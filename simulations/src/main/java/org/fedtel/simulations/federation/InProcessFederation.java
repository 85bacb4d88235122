package org.fedtel.simulations.federation;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.stream.Stream;
import org.fedtel.coordinator.Federation;
import org.fedtel.coordinator.FederationLog;
import org.fedtel.coordinator.Outbound;
import org.fedtel.coordinator.RoundSettings;
import org.fedtel.coordinator.RoundSummary;
import org.fedtel.coordinator.SecureAggregation;
import org.fedtel.coordinator.StateStore;
import org.fedtel.coordinator.StatisticsSettings;
import org.fedtel.coordinator.strategy.Strategies;
import org.fedtel.crypto.SigningKey;
import org.fedtel.crypto.VerifyingKey;
import org.fedtel.crypto.secagg.PeerKeys;
import org.fedtel.ledger.NoteVerifier;
import org.fedtel.ledger.Witness;
import org.fedtel.privacy.accounting.PrivacyBudget;
import org.fedtel.privacy.accounting.RdpAccountant;
import org.fedtel.protocol.FeatureMoments;
import org.fedtel.protocol.RejectedMessageException;
import org.fedtel.protocol.v1.DataUseRecord;
import org.fedtel.protocol.v1.Envelope;
import org.fedtel.protocol.v1.PrivacyMode;
import org.fedtel.protocol.v1.PrivacyParams;
import org.fedtel.simulations.experiment.Dropout;
import org.fedtel.simulations.experiment.RoundRecord;
import org.fedtel.simulations.experiment.RunSpec;
import org.fedtel.siteagent.AutoencoderTrainer;
import org.fedtel.siteagent.SiteSession;
import org.fedtel.telemetry.features.Scaler;
import org.fedtel.telemetry.model.AutoencoderConfig;

/**
 * A federation in one JVM: the coordinator's {@link Federation} and one {@link SiteSession} per
 * site — the same engines, secure aggregation and privacy accounting as the networked deployment —
 * connected by an in-memory carrier with a simulated clock. Deterministic under the run's seed.
 *
 * <p>Dropout and stragglers follow the run's {@link Dropout}: a site that vanishes stays silent for
 * the rest of that round and the coordinator drops it at the phase deadline, exactly as it would a
 * vanished site; a straggler's data-use record and masked input reach the coordinator after the
 * masking deadline and are refused.
 *
 * <p>With {@link SimulationSettings#federatedStatistics()} the federation runs the deployed
 * statistics rounds (docs/FEDERATION.md, "Federated scaling and threshold"): two feature rounds
 * before training fit one signed-log scaling that every site trains and is evaluated with, and a
 * score-histogram round after the last training round sets the threshold every site flags the final
 * model with. They are charged to the sites' budgets like any round and yield no record of their
 * own: the last training round's record waits for the threshold and carries the ε spent by then.
 */
public final class InProcessFederation {
  private static final Duration PHASE_TIMEOUT = Duration.ofSeconds(30);
  private static final String[] PHASES = {"ROUND_START", "KEY_LIST", "ENCRYPTED_SHARES", "UNMASK_REQUEST"};
  private static final String ORIGIN = "fedtel.simulation/ledger";
  /** z of the statistics rounds: the deployed default ({@code [statistics] noise_multiplier}). */
  static final double STATISTICS_NOISE_MULTIPLIER = StatisticsSettings.DEFAULT_NOISE_MULTIPLIER;
  /** The statistics rounds one federation runs when none aborts: feature means, deviations, score histogram. */
  static final int STATISTICS_ROUNDS = 3;
  /** Aborted statistics rounds are retried by the coordinator; a run gives up after this many in all. */
  private static final int MAX_STATISTICS_ROUNDS = 3 * STATISTICS_ROUNDS;

  private InProcessFederation() {}

  /** Called after every round with its record (for progress). */
  public interface RoundListener {
    void round(RoundRecord record);
  }

  /** Runs {@link #run(List, RunSpec, SimulationSettings, RoundListener, ExecutorService)} with all site work on the calling thread. */
  public static List<RoundRecord> run(List<SiteData> sites, RunSpec spec, SimulationSettings settings, RoundListener listener)
      throws Exception {
    return run(sites, spec, settings, listener, null);
  }

  /**
   * Runs {@code settings.rounds()} rounds of {@code spec} (a federated run, private or not) over
   * {@code sites} and returns one record per round, with the global model evaluated after each.
   *
   * @param siteWork where the sites' handling of a batch of messages runs (local training, noise,
   *     masking, key agreement), one task per site; null for the calling thread. The coordinator
   *     always runs on the calling thread and sees the sites' replies in a fixed order, so the
   *     result does not depend on it.
   */
  public static List<RoundRecord> run(List<SiteData> sites, RunSpec spec, SimulationSettings settings, RoundListener listener,
                                      ExecutorService siteWork) throws Exception {
    if (sites.size() < 3) {
      throw new IllegalArgumentException("a federation needs at least 3 sites, got " + sites.size());
    }
    AutoencoderConfig model = AutoencoderConfig.defaults(sites.get(0).features());
    double[] initial = Baselines.initialModel(model, spec.seed());
    PrivacyMode mode = switch (spec.privacy()) {
      case "local" -> PrivacyMode.PRIVACY_MODE_LOCAL;
      case "distributed" -> PrivacyMode.PRIVACY_MODE_DISTRIBUTED;
      default -> PrivacyMode.PRIVACY_MODE_NONE;
    };
    int perRound = settings.sitesPerRound(sites.size());
    int minParticipants = perRound / 2 + 1;
    double z = noiseMultiplier(mode, spec, settings, sites);
    RoundSettings roundSettings = new RoundSettings(settings.rounds(), perRound, minParticipants, PHASE_TIMEOUT, mode,
        settings.clipNorm(), z, spec.delta(), settings.localEpochs(), settings.batchSize(), settings.learningRate(),
        // Local mode aggregates weight·delta in fixed point (2^24 per unit, weight = example count): a
        // noisy DP-SGD delta times a few hundred examples does not fit a 32-bit ring, so 64 bits.
        mode == PrivacyMode.PRIVACY_MODE_DISTRIBUTED ? Math.min(settings.modulusBits(), 32)
            : mode == PrivacyMode.PRIVACY_MODE_LOCAL ? 64 : settings.modulusBits(),
        0);
    boolean statistics = settings.federatedStatistics();
    if (statistics) {
      roundSettings = roundSettings.withStatistics(StatisticsSettings.of(model.inputSize(), STATISTICS_NOISE_MULTIPLIER));
    }

    Map<String, SigningKey> keys = new TreeMap<>();
    Map<String, VerifyingKey> verifying = new HashMap<>();
    for (SiteData s : sites) {
      SigningKey k = key(spec.seed(), s.id());
      keys.put(s.id(), k);
      verifying.put(s.id(), k.verifyingKey());
    }
    PeerKeys peers = PeerKeys.of(verifying);
    SigningKey coordinatorKey = key(spec.seed(), Federation.COORDINATOR_ID);
    NoteVerifier checkpoints = NoteVerifier.of(ORIGIN, coordinatorKey.verifyingKey());

    Carrier carrier = new Carrier(spec.dropout(), spec.seed(), siteWork);
    for (SiteData s : sites) {
      PrivacyBudget budget = mode == PrivacyMode.PRIVACY_MODE_NONE ? null : new PrivacyBudget(spec.epsilon(), spec.delta());
      // With federated statistics a site keeps its raw windows and re-scales when the federation fits a
      // scaling; until then it scales with its own, as a deployed site agent does.
      AutoencoderTrainer trainer = statistics
          ? AutoencoderTrainer.fromRawWindows(model, s.scaler(), s.rawTrain(), dpSgdRandom(spec.seed(), s.id()))
          : new AutoencoderTrainer(model, s.train(), dpSgdRandom(spec.seed(), s.id()));
      SiteSession session = new SiteSession(s.id(), budget, trainer,
          org.fedtel.siteagent.SecureAggregation.client(keys.get(s.id()), peers, deterministicRandom(spec.seed(), s.id())),
          keys.get(s.id()), new Witness(s.id(), keys.get(s.id()), checkpoints));
      if (statistics) {
        session.statisticsRandom(statisticsRandom(spec.seed(), s.id()));
      }
      carrier.sites.put(s.id(), session);
    }
    Path state = Files.createTempDirectory("fedtel-sim-state");
    try {
      carrier.coordinator = new Federation(roundSettings, Strategies.create(settings.strategy(), Map.of()), initial,
          SecureAggregation.server(peers), new SilentLog(), new StateStore(state), carrier.clock,
          new SplittableRandom(spec.seed()));
      List<RoundRecord> records = new ArrayList<>();
      carrier.connectAll();
      long started = System.nanoTime();
      int trainingEnded = 0;
      int statisticsEnded = 0;
      List<SiteData> scaled = sites; // with federated statistics: the sites' windows in the federation's scaling
      Ended last = null; // with federated statistics: the last training round, waiting for the threshold
      while (records.size() < settings.rounds()) {
        carrier.step();
        while (!carrier.ended.isEmpty() && records.size() < settings.rounds()) {
          Ended ended = carrier.ended.poll();
          long now = System.nanoTime();
          RoundRecord r;
          if (!ended.summary.training()) {
            boolean gaveUp = ++statisticsEnded > MAX_STATISTICS_ROUNDS;
            if (gaveUp && last != null) {
              // The threshold rounds keep aborting (dropouts, or budgets a retry would exceed): the final
              // model is evaluated with each site's own threshold, and the row says so.
              r = record(spec, trainingEnded, last, ended, scaled, model, carrier.coordinator.model(), perRound,
                  (now - started) / 1_000_000, true, Double.NaN);
              started = now;
              records.add(r);
              listener.round(r);
              continue;
            }
            if (gaveUp) {
              throw new IllegalStateException("run " + spec.id() + ": " + statisticsEnded + " federated statistics rounds ended "
                  + "without the federation fitting its " + (last == null ? "scaling" : "threshold") + " (last: round "
                  + ended.summary.round() + " " + ended.summary.purpose() + ", " + reasonOf(ended.summary) + ")");
            }
            if (last == null || !ended.summary.committed() || !ended.summary.metrics().containsKey("threshold")) {
              continue;
            }
            // The final model's threshold: the last training round's record, with the ε spent by now.
            r = record(spec, trainingEnded, last, ended, scaled, model, carrier.coordinator.model(), perRound, (now - started) / 1_000_000,
                true, ended.summary.metrics().get("threshold"));
          } else {
            if (statistics && scaled == sites) {
              FeatureMoments.Fit fit = carrier.coordinator.scaling().orElseThrow(() -> new IllegalStateException(
                  "run " + spec.id() + ": a training round ended before the federation fitted its scaling"));
              Scaler federated = Scaler.of(Scaler.Kind.SIGNED_LOG_STANDARD, fit.offset(), fit.scale());
              scaled = sites.stream().map(s -> s.scaledWith(federated)).toList();
            }
            trainingEnded++;
            // The coordinator counts an aborted training round only once a later one commits, so after
            // trailing aborts it trains on rather than set the threshold; the run then ends here.
            if (statistics && trainingEnded == settings.rounds() && ended.trainingRounds >= settings.rounds()) {
              last = ended;
              continue;
            }
            r = record(spec, statistics ? trainingEnded : (int) ended.summary.round(), ended, ended, scaled, model, carrier.coordinator.model(), perRound, (now - started) / 1_000_000,
                statistics, Double.NaN);
          }
          started = now;
          records.add(r);
          listener.round(r);
        }
      }
      return records;
    } finally {
      deleteRecursively(state);
    }
  }

  /**
   * The record of training round {@code ended}, with the accounts as they stood at the end of round
   * {@code accounts} (the same round, or the statistics round that set the final model's threshold).
   *
   * @param round the training round's number (with statistics rounds: counting training rounds only)
   * @param threshold the federation's threshold every site flags above; NaN: each site's own
   */
  private static RoundRecord record(RunSpec spec, int round, Ended ended, Ended accounts, List<SiteData> sites, AutoencoderConfig model,
                                    double[] global, int sampled, long millis, boolean federatedStatistics, double threshold) {
    RoundSummary s = ended.summary;
    boolean accounted = spec.kind() == org.fedtel.simulations.experiment.RunKind.FEDERATED;
    double[] eps = new double[accounted ? sites.size() : 0];
    for (int i = 0; i < eps.length; i++) {
      eps[i] = accounts.epsilonSpent.getOrDefault(sites.get(i).id(), 0.0);
    }
    double[] params = s.committed() ? s.model() : global;
    double loss = s.committed() ? s.meanTrainLoss() : Double.NaN;
    return new RoundRecord(spec.id(), round, loss, Evaluation.ofGlobalModel(model, params, sites, threshold), eps,
        sampled, s.committed() ? s.survivors().size() : 0, ended.counts.dropped, ended.counts.stragglersCut,
        accounted ? accounts.maxEpsilonChargedBySite : 0, millis, federatedStatistics, threshold);
  }

  private static String reasonOf(RoundSummary s) {
    return s.committed() ? "committed" : "aborted: " + s.reason();
  }

  /**
   * The noise multiplier for the run's target epsilon over all rounds, computed with the same
   * accountant the engines charge with. Distributed: each round is charged as a Gaussian mechanism
   * (q = 1, one step) at the distributed discrete Gaussian's effective multiplier, which is a little
   * below the configured one (at least 0.95 of it, docs/PRIVACY.md), so the configured value is
   * raised by 1/0.95 to stay within the target. Local: every round a site with n examples runs
   * epochs·⌈n/batch⌉ DP-SGD steps with q = min(1, batch/n), the event its {@code SiteSession} and
   * the coordinator's {@code Round} charge; the multiplier is the largest any site needs (ε is not
   * monotone in n once the ceiling bites, so the smallest site alone does not always decide), checked
   * by composing the rounds one by one as the sites' budgets do.
   */
  static double noiseMultiplier(PrivacyMode mode, RunSpec spec, SimulationSettings settings, List<SiteData> sites) {
    if (settings.federatedStatistics() && mode != PrivacyMode.PRIVACY_MODE_NONE) {
      return noiseMultiplierWithStatistics(mode, spec, settings, sites);
    }
    return switch (mode) {
      case PRIVACY_MODE_DISTRIBUTED ->
          RdpAccountant.noiseMultiplierFor(spec.epsilon(), spec.delta(), 1.0, settings.rounds()) / 0.95;
      case PRIVACY_MODE_LOCAL -> {
        double z = 0;
        for (SiteData s : sites) {
          double[] qSteps = localCharge(s.train().length, settings);
          z = Math.max(z, RdpAccountant.noiseMultiplierFor(spec.epsilon(), spec.delta(), qSteps[0],
              settings.rounds() * (long) qSteps[1]));
        }
        while (!withinTarget(z, spec, settings, sites)) {
          z *= 1 + 1e-6; // summation order of per-round composition can differ in the last bits
        }
        yield z;
      }
      default -> 1.0;
    };
  }

  /**
   * The noise multiplier of the training rounds when the statistics rounds share the target: each is
   * charged as one Gaussian release (q = 1, z = {@link #STATISTICS_NOISE_MULTIPLIER}), so the training
   * rounds get what is left, composed in RDP with the same accountant (not by subtracting ε's). The
   * smallest multiplier within the target is found by bisection on the composed ε, in the order a
   * site's budget composes them (two feature rounds, the training rounds, the score histogram).
   *
   * @throws IllegalArgumentException if the statistics rounds alone spend the target
   */
  static double noiseMultiplierWithStatistics(PrivacyMode mode, RunSpec spec, SimulationSettings settings, List<SiteData> sites) {
    double alone = requireRoomForStatistics(spec);
    double hi = 1;
    while (epsilonWithStatistics(hi, mode, spec, settings, sites) > spec.epsilon()) {
      hi *= 2;
      if (hi > 1e9) {
        throw new IllegalArgumentException("--epsilon " + spec.epsilonText() + " leaves too little for training after the "
            + "federated statistics rounds (epsilon " + alone + ")");
      }
    }
    double lo = 0;
    for (int i = 0; i < 100 && hi - lo > 1e-9 * hi; i++) {
      double mid = (lo + hi) / 2;
      if (epsilonWithStatistics(mid, mode, spec, settings, sites) > spec.epsilon()) {
        lo = mid;
      } else {
        hi = mid;
      }
    }
    // A margin far above the rounding of composing in another order, so no site's budget refuses the
    // last round. Distributed: z is the configured multiplier; the charged effective one is at least 0.95 of it.
    hi *= 1 + 1e-7;
    return mode == PrivacyMode.PRIVACY_MODE_DISTRIBUTED ? hi / 0.95 : hi;
  }

  /**
   * Checks that a private run's target ε exceeds what the statistics rounds alone spend, and returns that.
   *
   * @throws IllegalArgumentException naming the target and the statistics rounds' ε otherwise
   */
  public static double requireRoomForStatistics(RunSpec spec) {
    double alone = statisticsAccountant(STATISTICS_ROUNDS).epsilon(spec.delta());
    if (alone >= spec.epsilon()) {
      throw new IllegalArgumentException(String.format(java.util.Locale.ROOT,
          "--epsilon %s leaves nothing for training: the %d federated statistics rounds alone spend epsilon %.3f "
              + "(z = %s each, delta %s); raise --epsilon or leave out --federated-statistics",
          spec.epsilonText(), STATISTICS_ROUNDS, alone, STATISTICS_NOISE_MULTIPLIER, spec.delta()));
    }
    return alone;
  }

  /**
   * The largest ε over sites after all rounds with training multiplier z (distributed: the effective
   * one) and the statistics rounds.
   */
  private static double epsilonWithStatistics(double z, PrivacyMode mode, RunSpec spec, SimulationSettings settings,
                                              List<SiteData> sites) {
    double worst = 0;
    for (SiteData s : sites) {
      double[] qSteps = mode == PrivacyMode.PRIVACY_MODE_LOCAL ? localCharge(s.train().length, settings) : new double[] {1, 1};
      RdpAccountant acc = statisticsAccountant(STATISTICS_ROUNDS - 1);
      for (int r = 0; r < settings.rounds(); r++) {
        acc.composeSampledGaussian(qSteps[0], z, (long) qSteps[1]);
      }
      acc.composeSampledGaussian(1.0, STATISTICS_NOISE_MULTIPLIER, 1);
      worst = Math.max(worst, acc.epsilon(spec.delta()));
      if (mode != PrivacyMode.PRIVACY_MODE_LOCAL) {
        break; // the same events at every site
      }
    }
    return worst;
  }

  /** An accountant that has composed {@code rounds} statistics rounds, one by one as a site's budget does. */
  static RdpAccountant statisticsAccountant(int rounds) {
    RdpAccountant acc = new RdpAccountant();
    for (int r = 0; r < rounds; r++) {
      acc.composeSampledGaussian(1.0, STATISTICS_NOISE_MULTIPLIER, 1);
    }
    return acc;
  }

  /** {q, steps} of one local-mode round at a site with n examples (the formula of SiteSession and Round). */
  static double[] localCharge(long examples, SimulationSettings settings) {
    long n = Math.max(1, examples);
    int b = settings.batchSize();
    return new double[] {Math.min(1.0, (double) b / n), settings.localEpochs() * ((n + b - 1) / b)};
  }

  private static boolean withinTarget(double z, RunSpec spec, SimulationSettings settings, List<SiteData> sites) {
    for (SiteData s : sites) {
      double[] qSteps = localCharge(s.train().length, settings);
      RdpAccountant acc = new RdpAccountant();
      for (int r = 0; r < settings.rounds(); r++) {
        acc.composeSampledGaussian(qSteps[0], z, (long) qSteps[1]);
      }
      if (acc.epsilon(spec.delta()) > spec.epsilon()) {
        return false;
      }
    }
    return true;
  }

  /**
   * The seeded source of a site's DP-SGD sampling and noise: simulations only, so runs are
   * reproducible (a deployed site agent uses a SecureRandom).
   */
  static SplittableRandom dpSgdRandom(long seed, String site) {
    byte[] h = sha256(("fedtel-sim-dpsgd/" + seed + "/" + site).getBytes(java.nio.charset.StandardCharsets.UTF_8));
    return new SplittableRandom(java.nio.ByteBuffer.wrap(h).getLong());
  }

  /** The seeded source of a site's statistics-round noise: simulations only (a deployed site uses a SecureRandom). */
  static SplittableRandom statisticsRandom(long seed, String site) {
    byte[] h = sha256(("fedtel-sim-statistics/" + seed + "/" + site).getBytes(java.nio.charset.StandardCharsets.UTF_8));
    return new SplittableRandom(java.nio.ByteBuffer.wrap(h).getLong());
  }

  /** What the carrier saw of one round: sites that fell silent per phase, and stragglers refused. */
  private static final class Counts {
    final int[] dropped = new int[PHASES.length];
    int stragglersCut;
  }

  /** A round that ended, with the accounts as they stood at that moment. */
  private record Ended(RoundSummary summary, Map<String, Double> epsilonSpent, double maxEpsilonChargedBySite, Counts counts,
                       long trainingRounds) {}

  /** What happens to one site in one round, drawn when its RoundStart is delivered. */
  private static final class Fate {
    final long round;
    /** The first phase (index into {@link #PHASES}) whose messages the site no longer answers. */
    int silentFrom;
    final boolean straggler;

    Fate(long round, int silentFrom, boolean straggler) {
      this.round = round;
      this.silentFrom = silentFrom;
      this.straggler = straggler;
    }
  }

  /** One envelope of a batch, and what its site made of it. */
  private static final class Delivery {
    final Outbound outbound;
    final int phase;
    boolean delivered;
    List<Envelope> replies = List.of();
    RuntimeException failure;
    RejectedMessageException rejected;

    Delivery(Outbound outbound) {
      this.outbound = outbound;
      this.phase = Carrier.phaseOf(outbound.envelope());
    }

    String site() {
      return outbound.siteId();
    }

    long round() {
      return outbound.envelope().getRound();
    }
  }

  /**
   * Delivers envelopes in order; advances the simulated clock past a deadline when nothing moves.
   *
   * <p>Everything queued for the sites is taken as one batch: fates are drawn in queue order, each
   * site handles its envelopes of the batch in order (sites in parallel on {@code siteWork}), and
   * the replies reach the coordinator in queue order. A site's handling depends only on its own
   * state, and the coordinator's outputs go to the end of the queue, so this is the same sequence
   * of coordinator inputs as handling one envelope at a time.
   */
  private static final class Carrier {
    final SimClock clock = new SimClock();
    final Map<String, SiteSession> sites = new TreeMap<>();
    final Map<String, Fate> fates = new HashMap<>();
    final Deque<Outbound> toSites = new ArrayDeque<>();
    final Deque<Ended> ended = new ArrayDeque<>();
    final Map<Long, Counts> counts = new HashMap<>();
    /** Stragglers' replies, delivered after the next deadline. */
    final List<Outbound> late = new ArrayList<>();
    final Dropout dropout;
    /** Fate draws: one stream per option, so that raising one probability changes no other draw. */
    final SplittableRandom anyPhase;
    final SplittableRandom perPhase;
    final SplittableRandom straggling;
    final ExecutorService siteWork;
    Federation coordinator;
    int historySeen;
    long siteFailures;

    Carrier(Dropout dropout, long seed, ExecutorService siteWork) {
      this.dropout = dropout;
      this.anyPhase = new SplittableRandom(seed ^ 0x5DEECE66DL);
      this.perPhase = new SplittableRandom(seed ^ 0x3C6EF372FE94F82AL);
      this.straggling = new SplittableRandom(seed ^ 0x1F83D9ABFB41BD6BL);
      this.siteWork = siteWork;
    }

    void connectAll() throws RejectedMessageException {
      for (SiteSession s : sites.values()) {
        toSites.addAll(coordinator.onHello(s.siteId(), s.hello()));
        noteEnded();
      }
    }

    /** Delivers batches until a round ends or nothing moves; then passes the next deadline. */
    void step() throws RejectedMessageException, InterruptedException {
      while (!toSites.isEmpty()) {
        List<Delivery> batch = new ArrayList<>(toSites.size());
        while (!toSites.isEmpty()) {
          batch.add(new Delivery(toSites.poll()));
        }
        decide(batch);
        handle(batch);
        if (feed(batch)) {
          return;
        }
      }
      clock.millis += PHASE_TIMEOUT.toMillis() + 1;
      toSites.addAll(coordinator.onTick());
      noteEnded();
      deliverLate();
    }

    /** In queue order: draws the fate of each site at its RoundStart, and drops what a silent site would not answer. */
    private void decide(List<Delivery> batch) {
      for (Delivery d : batch) {
        Envelope e = d.outbound.envelope();
        Fate fate = fates.get(d.site());
        if (e.hasRoundStart() && (fate == null || fate.round != e.getRound())) {
          fate = draw(e.getRound());
          fates.put(d.site(), fate);
        }
        // Silent for the rest of the round: its phase messages from the phase it vanished in, and
        // what follows the phases (the RoundResult a site that vanished in unmask is still sent).
        boolean silent = fate != null && d.round() == fate.round && fate.silentFrom < PHASES.length
            && (d.phase >= fate.silentFrom || (d.phase < 0 && !e.hasRoundStart()));
        d.delivered = !silent;
        if (silent && d.phase == fate.silentFrom) {
          countsOf(d.round()).dropped[d.phase]++;
        }
      }
    }

    private Fate draw(long round) {
      // The uniform-phase draw comes first and uses the stream it always used, so runs with only
      // --dropout keep their results; the other draws are made whether or not their option is set.
      int silentFrom = anyPhase.nextDouble() < dropout.anyPhase() ? anyPhase.nextInt(PHASES.length) : Integer.MAX_VALUE;
      double adv = perPhase.nextDouble();
      double shr = perPhase.nextDouble();
      double msk = perPhase.nextDouble();
      double str = straggling.nextDouble();
      if (silentFrom == Integer.MAX_VALUE) {
        if (adv < dropout.afterAdvertise()) {
          silentFrom = 1;
        } else if (shr < dropout.afterShare()) {
          silentFrom = 2;
        } else if (msk < dropout.afterMask()) {
          silentFrom = 3;
        }
      }
      boolean straggler = silentFrom > 2 && str < dropout.stragglers();
      if (straggler) {
        silentFrom = 3; // it is cut at the masking deadline and hears nothing more this round
      }
      return new Fate(round, silentFrom, straggler);
    }

    /** Each site handles its delivered envelopes of the batch in order; sites run in parallel. */
    private void handle(List<Delivery> batch) throws InterruptedException {
      Map<String, List<Delivery>> bySite = new java.util.LinkedHashMap<>();
      for (Delivery d : batch) {
        if (d.delivered) {
          bySite.computeIfAbsent(d.site(), k -> new ArrayList<>()).add(d);
        }
      }
      if (siteWork == null || bySite.size() < 2) {
        for (List<Delivery> ds : bySite.values()) {
          handleSite(ds);
        }
        return;
      }
      List<Callable<Void>> tasks = new ArrayList<>(bySite.size());
      for (List<Delivery> ds : bySite.values()) {
        tasks.add(() -> {
          handleSite(ds);
          return null;
        });
      }
      for (Future<Void> f : siteWork.invokeAll(tasks)) {
        try {
          f.get();
        } catch (ExecutionException e) {
          throw new IllegalStateException("simulated site failed outside its round handling: " + e.getCause(), e.getCause());
        }
      }
    }

    private void handleSite(List<Delivery> ds) {
      SiteSession site = sites.get(ds.get(0).site());
      long failedRound = -1;
      int failedFrom = Integer.MAX_VALUE;
      for (Delivery d : ds) {
        if (d.round() == failedRound && (d.phase < 0 || d.phase >= failedFrom)) {
          d.delivered = false; // the site has crashed for the rest of this round
          continue;
        }
        try {
          d.replies = site.onEnvelope(d.outbound.envelope());
        } catch (RejectedMessageException ex) {
          d.rejected = ex;
          return;
        } catch (RuntimeException failure) {
          d.failure = failure;
          failedRound = d.round();
          failedFrom = d.phase < 0 ? 0 : d.phase;
        }
      }
    }

    /** In queue order: the replies reach the coordinator. Returns whether a round ended. */
    private boolean feed(List<Delivery> batch) throws RejectedMessageException {
      for (Delivery d : batch) {
        if (d.rejected != null) {
          throw d.rejected;
        }
        if (!d.delivered) {
          continue;
        }
        String site = d.site();
        Fate fate = fates.get(site);
        if (d.failure != null) {
          // A site whose local training fails (e.g. the global model has diverged to NaN) falls
          // silent for the rest of the round, as a crashed site agent would; the coordinator
          // drops it at the deadline.
          int from = d.phase < 0 ? 0 : d.phase;
          if (fate != null && fate.round == d.round()) {
            fate.silentFrom = Math.min(fate.silentFrom, from);
          }
          if (d.phase >= 0) {
            countsOf(d.round()).dropped[d.phase]++;
          }
          siteFailures++;
          continue;
        }
        boolean straggling = fate != null && fate.straggler && fate.round == d.round() && d.phase == 2;
        for (Envelope reply : d.replies) {
          if (straggling) {
            late.add(new Outbound(site, reply));
          } else {
            toSites.addAll(coordinator.onEnvelope(site, reply));
            noteEnded();
          }
        }
      }
      return !ended.isEmpty();
    }

    /**
     * Stragglers' data-use records and masked inputs reach the coordinator after the masking
     * deadline. The coordinator refuses them, as the network coordinator refuses a message after it
     * has cut the sender: the site is not charged by the coordinator and no data use is logged,
     * though the site has charged its own budget before releasing anything.
     */
    private void deliverLate() {
      List<Outbound> pending = new ArrayList<>(late);
      late.clear();
      for (Outbound o : pending) {
        try {
          List<Outbound> answer = coordinator.onEnvelope(o.siteId(), o.envelope());
          // A late data use is not recorded, and the coordinator tells the site so (DataUseStatus).
          if (!o.envelope().hasDataUse() || answer.size() != 1 || !answer.get(0).envelope().hasDataUseStatus()) {
            throw new IllegalStateException("the coordinator accepted " + o.envelope().getBodyCase() + " of straggler '"
                + o.siteId() + "' after the masking deadline of round " + o.envelope().getRound());
          }
          toSites.addAll(answer);
        } catch (RejectedMessageException expected) {
          if (o.envelope().hasMaskedInput()) {
            Counts c = countsOf(o.envelope().getRound());
            c.dropped[2]++;
            c.stragglersCut++;
          }
        }
      }
    }

    private Counts countsOf(long round) {
      return counts.computeIfAbsent(round, r -> new Counts());
    }

    /** Records rounds that have just ended, with the accounts at that moment. */
    private void noteEnded() {
      List<RoundSummary> history = coordinator.history();
      while (historySeen < history.size()) {
        RoundSummary s = history.get(historySeen++);
        double siteMax = 0;
        for (SiteSession site : sites.values()) {
          siteMax = Math.max(siteMax, site.spentEpsilon());
        }
        ended.add(new Ended(s, coordinator.epsilonSpent(), siteMax, countsOf(s.round()), coordinator.trainingRounds()));
        counts.keySet().removeIf(r -> r < s.round());
      }
    }

    private static int phaseOf(Envelope e) {
      if (e.hasConsistencyCheck()) {
        // The records' unmask phase opens with the consistency check (the survivors sign U3, then
        // unmask): a site silent from there has its masked input in the sum and answers neither.
        return PHASES.length - 1;
      }
      String body = e.getBodyCase().name();
      for (int i = 0; i < PHASES.length; i++) {
        if (PHASES[i].equals(body)) {
          return i;
        }
      }
      return -1;
    }
  }

  /** A log that keeps nothing: simulations measure learning and privacy, not the ledger. */
  private static final class SilentLog implements FederationLog {
    long lastStarted;
    final java.util.Set<Long> open = new java.util.HashSet<>();

    @Override public void siteEnrolled(String siteId, double budgetEpsilon, double budgetDelta) {}
    @Override public void roundStarted(long round, List<String> participants, PrivacyParams privacy) {
      lastStarted = Math.max(lastStarted, round);
      open.add(round);
    }
    @Override public void budgetExhausted(long round, String siteId, double spent, double budget, String reason) {}
    @Override public void dataUse(long round, String siteId, DataUseRecord record) {}
    @Override public void roundCommitted(long round, byte[] modelHash, List<String> survivors, List<String> dropped) {
      open.remove(round);
    }
    @Override public void roundAborted(long round, String reason) {
      open.remove(round);
    }
    // FederationLog#isOpen (no @Override: the method is being added to the interface).
    public boolean isOpen(long round) {
      return open.contains(round);
    }
    @Override public long lastStartedRound() {
      return lastStarted;
    }
  }

  /** Simulated time: starts at a fixed instant, moves only when the carrier passes a deadline. */
  private static final class SimClock extends Clock {
    long millis = 1_767_225_600_000L;

    @Override public ZoneId getZone() {
      return ZoneOffset.UTC;
    }

    @Override public Clock withZone(ZoneId zone) {
      return this;
    }

    @Override public Instant instant() {
      return Instant.ofEpochMilli(millis);
    }

    @Override public long millis() {
      return millis;
    }
  }

  static SigningKey key(long seed, String who) {
    return SigningKey.fromSeed(sha256(("fedtel-sim-key/" + seed + "/" + who).getBytes(java.nio.charset.StandardCharsets.UTF_8)));
  }

  /** A SecureRandom whose output is fixed by the seed (an AES-CTR keystream): simulations only. */
  static SecureRandom deterministicRandom(long seed, String who) {
    return new SeededStream(sha256(("fedtel-sim-random/" + seed + "/" + who).getBytes(java.nio.charset.StandardCharsets.UTF_8)));
  }

  private static byte[] sha256(byte[] b) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(b);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  private static void deleteRecursively(Path dir) {
    try (Stream<Path> walk = Files.walk(dir)) {
      for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
