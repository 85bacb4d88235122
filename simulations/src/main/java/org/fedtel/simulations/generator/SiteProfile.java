package org.fedtel.simulations.generator;

/**
 * One site's draw: size, hardware, application mix (a Dirichlet draw), how busy it keeps its
 * nodes, and its machine-room climate.
 */
record SiteProfile(int index, int nodes, Hardware hardware, double[] appMix, double meanIdleGapSeconds,
    int maxJobNodes, double inletBaseC, double dailyPhaseSeconds) {

  SiteProfile {
    appMix = appMix.clone();
  }

  @Override
  public double[] appMix() {
    return appMix.clone();
  }

  /** Site {@code index} of a run; depends only on the run seed, the config and the index. */
  static SiteProfile draw(GeneratorConfig config, int index, SplitMix rng) {
    int nodes = config.nodesPerSite();
    if (config.sizeSpread() > 0) {
      double size = config.nodesPerSite() * StrictMath.pow(10, config.sizeSpread() * rng.nextGaussian());
      nodes = (int) Math.max(1, Math.min(GeneratorConfig.MAX_NODES_PER_SITE, Math.round(size)));
    } else {
      rng.nextGaussian(); // keep the stream aligned whatever the spread
    }
    Hardware hw = Hardware.CLASSES.get(rng.nextInt(Hardware.CLASSES.size()));
    double[] mix = rng.dirichlet(config.nonIidAlpha(), AppCatalogue.size());
    double idleGap = rng.logUniform(60, 900);
    int maxJob = Math.max(1, Math.min(nodes, 1 << rng.nextInt(7)));
    double inlet = rng.uniform(18, 25);
    double phase = rng.uniform(0, 86_400);
    return new SiteProfile(index, nodes, hw, mix, idleGap, maxJob, inlet, phase);
  }
}
