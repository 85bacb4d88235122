package org.fedtel.benchmarks.telemetry;

import java.util.Arrays;
import java.util.Locale;

/**
 * The per-example / plain cost ratio measured interleaved, for a shared and loaded machine where
 * JMH's one-benchmark-after-the-other figures drift with other people's load: each round times one
 * batch step of every variant back to back (rotating the order), and the report gives the median
 * over rounds of each variant's time relative to plain in the same round.
 *
 * <pre>java -cp benchmarks/target/benchmarks.jar org.fedtel.benchmarks.telemetry.AutoencoderTrainingRatio [rounds]</pre>
 */
public final class AutoencoderTrainingRatio {
  private AutoencoderTrainingRatio() {}

  public static void main(String[] args) {
    int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 2000;
    AutoencoderTrainingBenchmark b = new AutoencoderTrainingBenchmark();
    b.setUp();
    AutoencoderTrainingBenchmark.Block[] blocks = new AutoencoderTrainingBenchmark.Block[3];
    int[] sizes = {1, 8, 64};
    for (int i = 0; i < 3; i++) {
      blocks[i] = new AutoencoderTrainingBenchmark.Block();
      blocks[i].rows = sizes[i];
      blocks[i].setUp();
    }
    String[] names = {"plain", "perExample rows=1", "perExample rows=8", "perExample rows=64", "clippedSum"};
    int v = names.length;
    double[][] nanos = new double[v][rounds];
    double sink = 0;
    for (int warm = 0; warm < 200; warm++) {
      sink += run(b, blocks, warm % v);
    }
    for (int r = 0; r < rounds; r++) {
      for (int k = 0; k < v; k++) {
        int which = (k + r) % v;
        long t0 = System.nanoTime();
        sink += run(b, blocks, which);
        nanos[which][r] = System.nanoTime() - t0;
      }
    }
    double[] plainSorted = nanos[0].clone();
    Arrays.sort(plainSorted);
    System.out.printf(Locale.ROOT, "%d rounds, batch %d, default autoencoder (input 200, 64-16-64)%n", rounds,
        AutoencoderTrainingBenchmark.BATCH);
    for (int k = 0; k < v; k++) {
      double[] ratio = new double[rounds];
      for (int r = 0; r < rounds; r++) {
        ratio[r] = nanos[k][r] / nanos[0][r];
      }
      Arrays.sort(ratio);
      double[] own = nanos[k].clone();
      Arrays.sort(own);
      double examplesPerSecond = AutoencoderTrainingBenchmark.BATCH / (own[rounds / 2] * 1e-9);
      System.out.printf(Locale.ROOT, "%-20s median %8.0f examples/s   time / plain: median %.2f (p25 %.2f, p75 %.2f)%n",
          names[k], examplesPerSecond, ratio[rounds / 2], ratio[rounds / 4], ratio[3 * rounds / 4]);
    }
    if (sink == 42) {
      System.out.println();
    }
  }

  private static double run(AutoencoderTrainingBenchmark b, AutoencoderTrainingBenchmark.Block[] blocks, int which) {
    return switch (which) {
      case 0 -> b.plain();
      case 1, 2, 3 -> b.perExample(blocks[which - 1]);
      default -> b.clippedSum();
    };
  }
}
