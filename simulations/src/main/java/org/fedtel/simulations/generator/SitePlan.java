package org.fedtel.simulations.generator;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;

/**
 * The site-level part of a run: where anomalies go, which job runs on which node, which phase it is
 * in at every step, and how fast it progresses. Jobs are scheduled first-come first-served with no
 * backfill; a job's progress per step is the interval times the speed of its slowest node, so an
 * anomaly stretches the phases of the whole job. Steps {@code [0, burnIn)} are a warm-up that is
 * simulated but not written, so that the first written sample finds the site busy.
 */
final class SitePlan {
  final SiteProfile profile;
  final int burnIn;
  final int steps;
  /** Phase id per node per plan step (0 = idle). */
  final byte[][] phase;
  /** Job serial per node per plan step (-1 = idle). */
  final int[][] job;
  /** Job speed per node per plan step, quantized to 1/255. */
  final byte[][] speed;
  /** Index into {@link #episodes} per node per written step (-1 = normal). */
  final short[][] episodeAt;
  final List<AnomalyEpisode> episodes;
  final int jobsStarted;

  private SitePlan(SiteProfile profile, int burnIn, int steps, byte[][] phase, int[][] job, byte[][] speed,
      short[][] episodeAt, List<AnomalyEpisode> episodes, int jobsStarted) {
    this.profile = profile;
    this.burnIn = burnIn;
    this.steps = steps;
    this.phase = phase;
    this.job = job;
    this.speed = speed;
    this.episodeAt = episodeAt;
    this.episodes = episodes;
    this.jobsStarted = jobsStarted;
  }

  static int burnInSteps(int intervalSeconds) {
    return Math.max(10, 3600 / intervalSeconds);
  }

  static SitePlan build(GeneratorConfig config, SiteProfile profile, SplitMix siteRng) {
    int n = profile.nodes();
    int steps = config.steps();
    List<AnomalyEpisode> episodes = placeAnomalies(config, n, steps, siteRng.fork(2));
    short[][] episodeAt = new short[n][steps];
    for (short[] row : episodeAt) {
      Arrays.fill(row, (short) -1);
    }
    for (int e = 0; e < episodes.size(); e++) {
      AnomalyEpisode ep = episodes.get(e);
      Arrays.fill(episodeAt[ep.node()], ep.startStep(), ep.endStep(), (short) e);
    }
    int burn = burnInSteps(config.intervalSeconds());
    int total = burn + steps;
    byte[][] phase = new byte[n][total];
    int[][] job = new int[n][total];
    byte[][] speed = new byte[n][total];
    for (int[] row : job) {
      Arrays.fill(row, -1);
    }
    for (byte[] row : speed) {
      Arrays.fill(row, (byte) 255);
    }
    int started = schedule(config, profile, siteRng.fork(1), episodes, episodeAt, burn, phase, job, speed);
    return new SitePlan(profile, burn, steps, phase, job, speed, episodeAt, episodes, started);
  }

  /**
   * Places episodes until exactly round(rate * nodes * steps) node-samples are anomalous: random
   * node, random log-uniform length of 2 to 30 minutes, random free start; episodes on one node
   * never overlap or touch, so each sample has at most one label.
   */
  static List<AnomalyEpisode> placeAnomalies(GeneratorConfig config, int nodes, int steps, SplitMix rng) {
    long budget = Math.round(config.anomalyRate() * nodes * (double) steps);
    List<AnomalyEpisode> out = new ArrayList<>();
    if (budget == 0) {
      return out;
    }
    List<AnomalyType> types = config.anomalyTypes();
    boolean[][] used = new boolean[nodes][];
    int minLen = Math.max(1, (int) Math.ceil(120.0 / config.intervalSeconds()));
    int maxLen = Math.max(minLen, (int) Math.ceil(1800.0 / config.intervalSeconds()));
    int failures = 0;
    while (budget > 0) {
      int node = rng.nextInt(nodes);
      int len = (int) Math.min(budget, Math.min(steps, Math.round(rng.logUniform(minLen, maxLen + 0.999))));
      len = Math.max(1, len);
      int start = rng.nextInt(steps - len + 1);
      AnomalyType type = types.get(rng.nextInt(types.size()));
      double intensity = Math.round(rng.uniform(config.intensityMin(), config.intensityMax()) * 100) / 100.0;
      intensity = Math.max(0.01, Math.min(1, intensity));
      if (used[node] == null) {
        used[node] = new boolean[steps];
      }
      if (free(used[node], start - 1, start + len + 1)) {
        Arrays.fill(used[node], start, start + len, true);
        out.add(new AnomalyEpisode(node, start, start + len, type, intensity));
        budget -= len;
        failures = 0;
      } else if (++failures > 200) {
        // Crowded (high rate, short run): fill the remaining budget into free runs in order.
        budget = fillRemaining(used, nodes, steps, budget, type, intensity, out);
        if (budget > 0) {
          throw new IllegalStateException("cannot place " + budget + " more anomalous samples");
        }
      }
    }
    if (out.size() > Short.MAX_VALUE) {
      throw new IllegalArgumentException("too many anomaly episodes per site (" + out.size()
          + "); use fewer nodes per site or a lower rate");
    }
    out.sort((a, b) -> a.node() != b.node() ? Integer.compare(a.node(), b.node())
        : Integer.compare(a.startStep(), b.startStep()));
    return Collections.unmodifiableList(out);
  }

  private static boolean free(boolean[] used, int from, int to) {
    for (int i = Math.max(0, from); i < Math.min(used.length, to); i++) {
      if (used[i]) {
        return false;
      }
    }
    return true;
  }

  private static long fillRemaining(boolean[][] used, int nodes, int steps, long budget, AnomalyType type,
      double intensity, List<AnomalyEpisode> out) {
    for (int node = 0; node < nodes && budget > 0; node++) {
      if (used[node] == null) {
        used[node] = new boolean[steps];
      }
      int s = 0;
      while (s < steps && budget > 0) {
        if (used[node][s] || (s > 0 && used[node][s - 1])) {
          s++;
          continue;
        }
        int e = s;
        while (e < steps && e - s < budget && !used[node][e] && (e + 1 >= steps || !used[node][e + 1])) {
          e++;
        }
        if (e > s) {
          Arrays.fill(used[node], s, e, true);
          out.add(new AnomalyEpisode(node, s, e, type, intensity));
          budget -= e - s;
        }
        s = e + 1;
      }
    }
    return budget;
  }

  private static int schedule(GeneratorConfig config, SiteProfile profile, SplitMix rng,
      List<AnomalyEpisode> episodes, short[][] episodeAt, int burn, byte[][] phase, int[][] job, byte[][] speed) {
    int n = profile.nodes();
    int total = burn + config.steps();
    double dt = config.intervalSeconds();
    List<Phase> phases = AppCatalogue.phases();
    double[] mix = profile.appMix();

    int[] readyAt = new int[n];
    boolean[] busy = new boolean[n];
    for (int i = 0; i < n; i++) {
      readyAt[i] = (int) (rng.exponential(profile.meanIdleGapSeconds()) / dt);
    }
    List<RunningJob> running = new ArrayList<>();
    RunningJob head = null;
    int serial = 0;
    int[] candidates = new int[n];
    for (int s = 0; s < total; s++) {
      while (true) {
        if (head == null) {
          head = RunningJob.draw(rng, mix, profile.maxJobNodes(), serial++);
        }
        int ready = 0;
        for (int i = 0; i < n; i++) {
          if (!busy[i] && readyAt[i] <= s) {
            candidates[ready++] = i;
          }
        }
        if (ready < head.nodes.length) {
          break;
        }
        // Take a random subset of the ready nodes (partial Fisher-Yates), then order it.
        for (int k = 0; k < head.nodes.length; k++) {
          int j = k + rng.nextInt(ready - k);
          int t = candidates[k];
          candidates[k] = candidates[j];
          candidates[j] = t;
        }
        System.arraycopy(candidates, 0, head.nodes, 0, head.nodes.length);
        Arrays.sort(head.nodes);
        for (int node : head.nodes) {
          busy[node] = true;
        }
        running.add(head);
        head = null;
      }
      for (int r = 0; r < running.size(); r++) {
        RunningJob j = running.get(r);
        int ph = j.currentPhase();
        Phase p = phases.get(ph);
        double v = 1;
        for (int node : j.nodes) {
          int w = s - burn;
          if (w >= 0) {
            int e = episodeAt[node][w];
            if (e >= 0) {
              AnomalyEpisode ep = episodes.get(e);
              v = Math.min(v, 1 / Interference.slowdown(ep.type(), ep.intensity(), p));
            }
          }
        }
        byte q = (byte) Math.max(1, Math.round(v * 255));
        for (int node : j.nodes) {
          phase[node][s] = (byte) ph;
          job[node][s] = j.serial;
          speed[node][s] = q;
        }
        if (j.advance(dt * v)) {
          for (int node : j.nodes) {
            busy[node] = false;
            readyAt[node] = s + 1 + (int) (rng.exponential(profile.meanIdleGapSeconds()) / dt);
          }
          running.remove(r--);
        }
      }
    }
    return serial - (head == null ? 0 : 1);
  }

  /** A job in flight: its phases as cumulative work (seconds at full speed) and its progress. */
  private static final class RunningJob {
    final int serial;
    final int[] nodes;
    final int[] phaseIds;
    final double[] endOfPhase;
    double progress;
    int current;

    private RunningJob(int serial, int nodes, int[] phaseIds, double[] endOfPhase) {
      this.serial = serial;
      this.nodes = new int[nodes];
      this.phaseIds = phaseIds;
      this.endOfPhase = endOfPhase;
    }

    static RunningJob draw(SplitMix rng, double[] mix, int maxNodes, int serial) {
      int app = rng.choose(mix);
      App a = AppCatalogue.APPS.get(app);
      int size = 1 << rng.nextInt(32 - Integer.numberOfLeadingZeros(maxNodes));
      size = Math.min(size, maxNodes);
      double runtime = rng.logUniform(a.minRuntimeSeconds(), a.maxRuntimeSeconds());
      List<Phase> phases = AppCatalogue.phases();
      int[] ids = new int[64];
      double[] ends = new double[64];
      int k = 0;
      double t = 0;
      int[][] parts = {AppCatalogue.startup(app), AppCatalogue.body(app), AppCatalogue.teardown(app)};
      for (int part = 0; part < 3; part++) {
        int[] list = parts[part];
        do {
          for (int id : list) {
            if (k == ids.length) {
              ids = Arrays.copyOf(ids, 2 * k);
              ends = Arrays.copyOf(ends, 2 * k);
            }
            t += phases.get(id).meanSeconds() * rng.uniform(0.7, 1.3);
            ids[k] = id;
            ends[k++] = t;
          }
        } while (part == 1 && t < runtime);
      }
      return new RunningJob(serial, size, Arrays.copyOf(ids, k), Arrays.copyOf(ends, k));
    }

    int currentPhase() {
      return phaseIds[current];
    }

    /** Adds progress; true when the job has finished. */
    boolean advance(double work) {
      progress += work;
      while (current < endOfPhase.length && progress >= endOfPhase[current]) {
        current++;
      }
      return current == endOfPhase.length;
    }
  }
}
