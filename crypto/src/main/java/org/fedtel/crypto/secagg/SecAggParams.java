package org.fedtel.crypto.secagg;

import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;
import org.fedtel.crypto.ConsortiumCa;

/**
 * Parameters of one secure-aggregation round, as in {@code fedtel.v1.SecAggParams} plus the round
 * number. Participants are listed in the order that fixes their Shamir evaluation points (1-based
 * position). {@code neighbours == 0} selects the complete graph (Bonawitz et al.); an even
 * {@code neighbours} ≥ 2 selects the SecAgg+ graph (Bell et al.) in which each site masks with and
 * shares to that many neighbours.
 *
 * <p>Each site's secrets are shared among its <em>share group</em>: itself and its neighbours
 * ({@link #groupSize()}). The threshold must satisfy {@code groupSize/2 < threshold ≤ groupSize}:
 * below a strict majority a server could collect t self-mask shares from one half of a group and t
 * mask-key shares from the other half and unmask a live site.
 */
public record SecAggParams(long round, List<String> participants, int threshold, int modulusBits,
    int neighbours, byte[] graphSeed, int vectorLength) {

  /** Site ids: a letter or digit, then up to 63 letters, digits, '.', '_' or '-'. */
  public static final Pattern SITE_ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");
  /** Above this many participants {@link #recommended} picks the SecAgg+ graph. */
  public static final int SPARSE_ABOVE = 200;
  /** Length of the graph seed. */
  public static final int GRAPH_SEED_LENGTH = 32;

  public SecAggParams {
    if (round < 0) {
      throw new IllegalArgumentException("round must be >= 0, got " + round);
    }
    participants = Bytes.copy(participants, "participants");
    int n = participants.size();
    if (n < 2) {
      throw new IllegalArgumentException("secure aggregation needs at least 2 participants, got " + n);
    }
    Set<String> seen = new HashSet<>();
    for (String id : participants) {
      if (!SITE_ID.matcher(id).matches()) {
        throw new IllegalArgumentException("participant id '" + id + "' is not a valid site id");
      }
      if (!seen.add(id)) {
        throw new IllegalArgumentException("participant '" + id + "' is listed twice");
      }
      // The coordinator is the server. As a participant it would also be a user colluding with
      // the server, holding one share of each neighbour's two secrets, which the strict-majority
      // threshold below does not account for (the shares it collects in round 4 plus its own
      // can then reach t for both secrets of a live site).
      if (id.equals(ConsortiumCa.COORDINATOR_ID)) {
        throw new IllegalArgumentException("participant id '" + id
            + "' is reserved for the coordinator, which cannot take part in secure aggregation");
      }
    }
    if (modulusBits < 1 || modulusBits > 64) {
      throw new IllegalArgumentException("modulusBits must be in [1, 64], got " + modulusBits);
    }
    if (vectorLength < 1) {
      throw new IllegalArgumentException("vectorLength must be >= 1, got " + vectorLength);
    }
    if (neighbours != 0) {
      if (neighbours < 2 || neighbours % 2 != 0) {
        throw new IllegalArgumentException(
            "neighbours must be 0 (complete graph) or an even number >= 2, got " + neighbours);
      }
      if (neighbours >= n - 1) {
        throw new IllegalArgumentException("neighbours = " + neighbours + " with " + n
            + " participants is (nearly) the complete graph; use neighbours = 0");
      }
    }
    int group = neighbours == 0 ? n : neighbours + 1;
    if (threshold > group) {
      throw new IllegalArgumentException("threshold " + threshold + " exceeds the share group of "
          + group + " sites: no secret could ever be reconstructed");
    }
    if (2 * threshold <= group) {
      throw new IllegalArgumentException("threshold " + threshold + " must exceed half the share group ("
          + group + " sites), i.e. be >= " + (group / 2 + 1)
          + ", or a server could obtain both shares of a live site");
    }
    if (graphSeed == null || graphSeed.length != GRAPH_SEED_LENGTH) {
      throw new IllegalArgumentException("graphSeed must be " + GRAPH_SEED_LENGTH + " bytes");
    }
    graphSeed = graphSeed.clone();
  }

  /**
   * Parameters that tolerate as many dropouts as is safe: the complete graph up to
   * {@link #SPARSE_ABOVE} sites, above it the SecAgg+ graph with k = 2·⌈2·log2 n⌉ neighbours; the
   * threshold is the smallest strict majority of the share group.
   */
  public static SecAggParams recommended(long round, List<String> participants, int modulusBits,
      int vectorLength, byte[] graphSeed) {
    int n = participants.size();
    int k = 0;
    if (n > SPARSE_ABOVE) {
      k = 2 * (int) Math.ceil(2 * Math.log(n) / Math.log(2));
      if (k >= n - 1) {
        k = 0;
      }
    }
    int group = k == 0 ? n : k + 1;
    return new SecAggParams(round, participants, group / 2 + 1, modulusBits, k, graphSeed,
        vectorLength);
  }

  @Override public byte[] graphSeed() { return graphSeed.clone(); }

  /** Number of sites among which each site's secrets are shared (itself included). */
  public int groupSize() {
    return neighbours == 0 ? participants.size() : neighbours + 1;
  }

  /** 2^k − 1 as a bit mask (all ones for k = 64). */
  public long ringMask() {
    return modulusBits == 64 ? -1L : (1L << modulusBits) - 1;
  }
}
