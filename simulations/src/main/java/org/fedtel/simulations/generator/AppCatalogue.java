package org.fedtel.simulations.generator;

import java.util.ArrayList;
import java.util.List;

/**
 * The application catalogue: compute-, memory-, I/O- and communication-bound codes and two mixed
 * ones, shaped after well-known HPC workloads (HPL, an N-body code, HPCG/STREAM, an AMR stencil
 * code, IOR, a data-analytics pipeline, a 3-D FFT, distributed training). Phase ids index
 * {@link #phases()}; id 0 is reserved for "idle" in the schedule encoding.
 */
final class AppCatalogue {
  //                      name        user  sys   ipc  mpki  mem   net   pkt    read  write meta   secs
  private static Phase p(String n, double user, double sys, double ipc, double mpki, double mem, double net,
      double pkt, double read, double write, double meta, double secs) {
    return new Phase(n, user, sys, ipc, mpki, mem, net, pkt, read, write, meta, secs, 0.04, 0.04);
  }

  static final Phase IDLE = p("idle", 0.01, 0.005, 0.6, 2, 0.0, 0.001, 300, 0, 0, 1, 60);

  static final List<App> APPS = List.of(
      new App("dgemm", "compute",
          List.of(p("load", 0.25, 0.03, 1.0, 3, 0.15, 0.01, 1500, 0.08, 0, 60, 60)),
          List.of(p("factor", 0.97, 0.01, 2.4, 0.6, 0.45, 0.03, 4000, 0, 0, 0, 300),
              p("panel-bcast", 0.88, 0.03, 1.6, 1.5, 0.45, 0.22, 4000, 0, 0, 0, 30)),
          List.of(p("verify", 0.6, 0.02, 1.8, 1, 0.45, 0.01, 1000, 0, 0.02, 20, 30).churn(0.3, 0)),
          1200, 14_400),
      new App("nbody", "compute",
          List.of(p("init", 0.4, 0.02, 1.4, 2, 0.1, 0.02, 1500, 0.04, 0, 40, 45)),
          List.of(p("forces", 0.93, 0.01, 1.9, 1.2, 0.2, 0.01, 2000, 0, 0, 0, 120),
              p("halo", 0.82, 0.04, 1.2, 3, 0.2, 0.3, 3000, 0, 0, 0, 15)),
          List.of(p("output", 0.3, 0.03, 1.1, 2, 0.2, 0.01, 1000, 0, 0.1, 50, 40).churn(0.4, 0.05)),
          900, 10_800),
      new App("hpcg", "memory",
          List.of(p("setup", 0.7, 0.03, 0.9, 10, 0.5, 0.02, 2000, 0.02, 0, 20, 60)),
          List.of(p("spmv", 0.95, 0.01, 0.45, 26, 0.6, 0.03, 2000, 0, 0, 0, 200),
              p("dot-reduce", 0.9, 0.03, 0.8, 8, 0.6, 0.12, 512, 0, 0, 0, 10)),
          List.of(p("report", 0.2, 0.02, 1.0, 2, 0.6, 0.01, 1000, 0, 0.01, 10, 20)),
          1800, 10_800),
      new App("amr", "memory",
          List.of(p("mesh", 0.6, 0.04, 1.0, 8, 0.3, 0.05, 2000, 0.05, 0, 80, 60)),
          List.of(p("stencil", 0.93, 0.01, 0.9, 13, 0.5, 0.04, 3000, 0, 0, 0, 90),
              p("halo", 0.8, 0.05, 0.7, 9, 0.5, 0.45, 4000, 0, 0, 0, 20),
              p("refine", 0.7, 0.06, 1.1, 7, 0.55, 0.08, 2000, 0, 0, 0, 40),
              p("checkpoint", 0.2, 0.06, 0.9, 4, 0.55, 0.02, 1000, 0, 0.3, 200, 60).churn(0.3, 0.15)),
          List.of(),
          1800, 14_400),
      new App("ior", "io",
          List.of(p("create", 0.1, 0.08, 0.9, 3, 0.05, 0.02, 600, 0, 0, 600, 20).churn(0.9, 0)),
          List.of(p("write", 0.15, 0.1, 0.9, 4, 0.08, 0.03, 1000, 0, 0.6, 60, 120).churn(0.3, 0),
              p("read", 0.15, 0.1, 0.9, 4, 0.08, 0.03, 1000, 0.6, 0, 60, 120)),
          List.of(p("remove", 0.08, 0.07, 0.9, 3, 0.05, 0.02, 600, 0, 0, 500, 20).churn(0, 0.9)),
          600, 3600),
      new App("analytics", "io",
          List.of(p("list", 0.15, 0.06, 1.0, 3, 0.05, 0.01, 600, 0.02, 0, 400, 30).churn(0, 0)),
          List.of(p("scan", 0.5, 0.06, 1.2, 6, 0.25, 0.02, 800, 0.3, 0, 350, 180),
              p("aggregate", 0.8, 0.02, 1.3, 8, 0.35, 0.05, 2000, 0, 0, 10, 120)),
          List.of(p("write-results", 0.2, 0.04, 1.0, 3, 0.35, 0.01, 1000, 0, 0.15, 150, 40).churn(0.45, 0.05)),
          1200, 7200),
      new App("fft3d", "communication",
          List.of(p("plan", 0.5, 0.03, 1.2, 4, 0.3, 0.05, 2000, 0.01, 0, 20, 30)),
          List.of(p("transpose", 0.6, 0.1, 0.8, 9, 0.4, 0.75, 8000, 0, 0, 0, 40),
              p("fft", 0.9, 0.02, 1.5, 5, 0.4, 0.03, 2000, 0, 0, 0, 40)),
          List.of(),
          900, 7200),
      new App("dltrain", "mixed",
          List.of(p("load-data", 0.3, 0.05, 1.0, 4, 0.3, 0.03, 1500, 0.25, 0, 150, 60)),
          List.of(p("forward-backward", 0.85, 0.02, 1.6, 4, 0.55, 0.02, 2000, 0.03, 0, 20, 240),
              p("allreduce", 0.7, 0.06, 1.0, 6, 0.55, 0.6, 8000, 0, 0, 0, 20),
              p("checkpoint", 0.2, 0.05, 1.0, 3, 0.55, 0.02, 1000, 0, 0.2, 40, 30).churn(0.3, 0.2)),
          List.of(),
          1800, 14_400));

  private static final List<Phase> PHASES;
  private static final int[][] STARTUP;
  private static final int[][] BODY;
  private static final int[][] TEARDOWN;

  static {
    List<Phase> all = new ArrayList<>();
    all.add(IDLE);
    STARTUP = new int[APPS.size()][];
    BODY = new int[APPS.size()][];
    TEARDOWN = new int[APPS.size()][];
    for (int a = 0; a < APPS.size(); a++) {
      STARTUP[a] = register(all, APPS.get(a).startup());
      BODY[a] = register(all, APPS.get(a).body());
      TEARDOWN[a] = register(all, APPS.get(a).teardown());
    }
    if (all.size() > 255) {
      throw new IllegalStateException("phase ids must fit in a byte");
    }
    PHASES = List.copyOf(all);
  }

  private static int[] register(List<Phase> all, List<Phase> phases) {
    int[] ids = new int[phases.size()];
    for (int i = 0; i < ids.length; i++) {
      ids[i] = all.size();
      all.add(phases.get(i));
    }
    return ids;
  }

  private AppCatalogue() {}

  /** Every phase by id; id 0 is idle. */
  static List<Phase> phases() {
    return PHASES;
  }

  static int size() {
    return APPS.size();
  }

  static int[] startup(int app) {
    return STARTUP[app];
  }

  static int[] body(int app) {
    return BODY[app];
  }

  static int[] teardown(int app) {
    return TEARDOWN[app];
  }
}
