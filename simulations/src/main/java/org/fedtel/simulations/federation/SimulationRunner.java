package org.fedtel.simulations.federation;

import java.util.List;
import org.fedtel.simulations.experiment.RoundRecord;
import org.fedtel.simulations.experiment.RunExecutor;
import org.fedtel.simulations.experiment.RunSpec;

/** Executes the runs of a sweep over one set of sites: baselines directly, federated runs in process. */
public final class SimulationRunner implements RunExecutor {
  private final List<SiteData> sites;
  private final SimulationSettings settings;
  private final InProcessFederation.RoundListener listener;

  /** @param listener told of every round of every run (from worker threads, concurrently) */
  public SimulationRunner(List<SiteData> sites, SimulationSettings settings, InProcessFederation.RoundListener listener) {
    if (sites.size() < 3) {
      throw new IllegalArgumentException("a simulation needs at least 3 sites, got " + sites.size());
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
  }

  @Override
  public List<RoundRecord> execute(RunSpec spec) throws Exception {
    return switch (spec.kind()) {
      case LOCAL_ONLY -> Baselines.localOnly(sites, spec, settings, listener);
      case CENTRALIZED -> Baselines.centralized(sites, spec, settings, listener);
      case FEDERATED, FEDERATED_NO_PRIVACY -> InProcessFederation.run(sites, spec, settings, listener);
    };
  }
}
