package org.fedtel.simulations.federation;

import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.fedtel.simulations.experiment.RoundRecord;
import org.fedtel.simulations.experiment.RunExecutor;
import org.fedtel.simulations.experiment.RunSpec;

/**
 * Executes the runs of a sweep over one set of sites: baselines directly, federated runs in process.
 * A federated run hands its sites' local work (training, noise, masking, key agreement) to a pool of
 * {@code siteThreads} threads shared by all runs; results do not depend on the number of threads.
 */
public final class SimulationRunner implements RunExecutor, AutoCloseable {
  private final List<SiteData> sites;
  private final SimulationSettings settings;
  private final InProcessFederation.RoundListener listener;
  private final ExecutorService siteWork;

  /** A runner whose federated runs do their sites' work on the calling thread. */
  public SimulationRunner(List<SiteData> sites, SimulationSettings settings, InProcessFederation.RoundListener listener) {
    this(sites, settings, 1, listener);
  }

  /**
   * @param siteThreads threads for the sites' work inside federated runs (1: the run's own thread)
   * @param listener told of every round of every run (from worker threads, concurrently)
   */
  public SimulationRunner(List<SiteData> sites, SimulationSettings settings, int siteThreads,
                          InProcessFederation.RoundListener listener) {
    if (sites.size() < 3) {
      throw new IllegalArgumentException("a simulation needs at least 3 sites, got " + sites.size());
    }
    if (siteThreads < 1) {
      throw new IllegalArgumentException("--site-threads must be >= 1, was " + siteThreads);
    }
    int features = sites.get(0).features();
    for (SiteData s : sites) {
      if (s.features() != features) {
        throw new IllegalArgumentException("site " + s.id() + " has " + s.features() + " features, site "
            + sites.get(0).id() + " has " + features);
      }
    }
    this.sites = List.copyOf(sites);
    this.settings = settings;
    this.listener = listener;
    this.siteWork = siteThreads == 1 ? null : Executors.newFixedThreadPool(siteThreads, r -> {
      Thread t = new Thread(r, "fedtel-site-work");
      t.setDaemon(true);
      return t;
    });
  }

  @Override
  public List<RoundRecord> execute(RunSpec spec) throws Exception {
    return switch (spec.kind()) {
      case LOCAL_ONLY -> Baselines.localOnly(sites, spec, settings, listener);
      case CENTRALIZED -> Baselines.centralized(sites, spec, settings, listener);
      case FEDERATED, FEDERATED_NO_PRIVACY -> InProcessFederation.run(sites, spec, settings, listener, siteWork);
    };
  }

  /** Stops the site threads. */
  @Override
  public void close() {
    if (siteWork != null) {
      siteWork.shutdownNow();
    }
  }
}
