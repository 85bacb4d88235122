package org.fedtel.coordinator.dashboard;

import com.google.protobuf.InvalidProtocolBufferException;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.fedtel.ledger.v1.DataUse;
import org.fedtel.ledger.v1.DataUseBody;
import org.fedtel.ledger.v1.Entry;

/**
 * What the dashboard derives from the ledger alone: the consortium, each site's enrolment and privacy
 * spend, each round's participants and outcome, and a compact per-entry index (kind, round, site) for
 * filtered paging. Entries are read once; {@link #refresh} reads only what was appended since.
 */
final class LedgerIndex {
  /** Entry kinds as the API names them, indexed by ordinal. */
  static final List<String> KINDS = List.of(
      "genesis", "site_enrolled", "round_started", "data_use", "round_committed", "round_aborted",
      "budget_exhausted", "model_released", "unknown");

  static final class Site {
    final String id;
    final long enrolledIndex;
    final double budgetEpsilon;
    final double budgetDelta;
    final String signingKeyHex;
    double spentEpsilon;
    int dataUses;
    boolean exhausted;

    Site(String id, long enrolledIndex, double budgetEpsilon, double budgetDelta, String signingKeyHex) {
      this.id = id;
      this.enrolledIndex = enrolledIndex;
      this.budgetEpsilon = budgetEpsilon;
      this.budgetDelta = budgetDelta;
      this.signingKeyHex = signingKeyHex;
    }
  }

  static final class Round {
    final long round;
    List<String> sampled = List.of();
    List<String> survivors = List.of();
    List<String> dropped = List.of();
    String status = "running";
    String abortReason;
    long startedMillis = -1;
    long endedMillis = -1;
    String modelSha256;
    double maxRoundEpsilon;
    /** ε each site was charged for this round, from its data-use record (sites that released nothing are absent). */
    final Map<String, Double> epsilonCharged = new TreeMap<>();

    Round(long round) {
      this.round = round;
    }
  }

  private final LedgerSource source;
  String consortiumId = "";
  String origin = "";
  String coordinatorKeyHex = "";
  final Map<String, Site> sites = new LinkedHashMap<>();
  final TreeMap<Long, Round> rounds = new TreeMap<>();
  private byte[] kinds = new byte[256];
  private long[] entryRounds = new long[256];
  private int[] entrySites = new int[256];
  private final List<String> siteNames = new ArrayList<>();
  private long[] timestamps = new long[256];
  private long indexed;

  LedgerIndex(LedgerSource source) {
    this.source = source;
  }

  synchronized long size() {
    return indexed;
  }

  /** Reads entries appended since the last refresh. */
  synchronized void refresh() throws IOException {
    long size = source.size();
    for (long i = indexed; i < size; i++) {
      byte[] bytes = source.entry(i);
      Entry e;
      try {
        e = Entry.parseFrom(bytes);
      } catch (InvalidProtocolBufferException ex) {
        throw new IOException("ledger entry " + i + " is not a valid entry: " + ex.getMessage(), ex);
      }
      add((int) i, e);
    }
    indexed = size;
  }

  private void add(int i, Entry e) throws IOException {
    grow(i + 1);
    timestamps[i] = e.getTimestampMillis();
    entryRounds[i] = -1;
    entrySites[i] = -1;
    switch (e.getKindCase()) {
      case GENESIS -> {
        consortiumId = e.getGenesis().getConsortiumId();
        origin = e.getGenesis().getOrigin();
        coordinatorKeyHex = HexFormat.of().formatHex(e.getGenesis().getCoordinatorKey().toByteArray());
        kinds[i] = 0;
      }
      case SITE_ENROLLED -> {
        var s = e.getSiteEnrolled();
        sites.putIfAbsent(s.getSiteId(), new Site(s.getSiteId(), i, s.getBudgetEpsilon(), s.getBudgetDelta(),
            HexFormat.of().formatHex(s.getSigningKey().toByteArray())));
        entrySites[i] = siteIndex(s.getSiteId());
        kinds[i] = 1;
      }
      case ROUND_STARTED -> {
        var r = e.getRoundStarted();
        Round round = rounds.computeIfAbsent(r.getRound(), Round::new);
        round.sampled = List.copyOf(r.getSampledSitesList());
        round.startedMillis = e.getTimestampMillis();
        entryRounds[i] = r.getRound();
        kinds[i] = 2;
      }
      case DATA_USE -> {
        DataUse use = e.getDataUse();
        DataUseBody body = DataUseBody.parseFrom(use.getBody());
        Site site = sites.get(body.getSiteId());
        if (site != null) {
          site.spentEpsilon = body.getCumulativeEpsilon();
          site.dataUses++;
        }
        Round round = rounds.computeIfAbsent(body.getRound(), Round::new);
        round.maxRoundEpsilon = Math.max(round.maxRoundEpsilon, body.getRoundEpsilon());
        round.epsilonCharged.merge(body.getSiteId(), body.getRoundEpsilon(), Double::sum);
        entryRounds[i] = body.getRound();
        entrySites[i] = siteIndex(body.getSiteId());
        kinds[i] = 3;
      }
      case ROUND_COMMITTED -> {
        var c = e.getRoundCommitted();
        Round round = rounds.computeIfAbsent(c.getRound(), Round::new);
        round.status = "committed";
        round.survivors = List.copyOf(c.getSurvivorsList());
        round.dropped = List.copyOf(c.getDroppedList());
        round.endedMillis = e.getTimestampMillis();
        round.modelSha256 = HexFormat.of().formatHex(c.getModelSha256().toByteArray());
        entryRounds[i] = c.getRound();
        kinds[i] = 4;
      }
      case ROUND_ABORTED -> {
        var a = e.getRoundAborted();
        Round round = rounds.computeIfAbsent(a.getRound(), Round::new);
        round.status = "aborted";
        round.abortReason = a.getReason();
        round.endedMillis = e.getTimestampMillis();
        entryRounds[i] = a.getRound();
        kinds[i] = 5;
      }
      case BUDGET_EXHAUSTED -> {
        var b = e.getBudgetExhausted();
        Site site = sites.get(b.getSiteId());
        if (site != null) {
          site.exhausted = true;
        }
        entrySites[i] = siteIndex(b.getSiteId());
        kinds[i] = 6;
      }
      case MODEL_RELEASED -> {
        entryRounds[i] = e.getModelReleased().getRound();
        kinds[i] = 7;
      }
      default -> kinds[i] = 8;
    }
  }

  private int siteIndex(String id) {
    int k = siteNames.indexOf(id);
    if (k < 0) {
      siteNames.add(id);
      k = siteNames.size() - 1;
    }
    return k;
  }

  private void grow(int n) {
    if (n > kinds.length) {
      int cap = Math.max(n, kinds.length * 2);
      kinds = Arrays.copyOf(kinds, cap);
      entryRounds = Arrays.copyOf(entryRounds, cap);
      entrySites = Arrays.copyOf(entrySites, cap);
      timestamps = Arrays.copyOf(timestamps, cap);
    }
  }

  /** Indexes of entries matching the filters (null = any), newest first, one page. */
  synchronized Page page(String kind, String site, Long round, long offset, int limit) {
    int kindCode = kind == null ? -1 : KINDS.indexOf(kind);
    if (kind != null && kindCode < 0) {
      throw new IllegalArgumentException("unknown entry kind '" + kind + "'; one of " + KINDS.subList(0, KINDS.size() - 1));
    }
    int siteCode = site == null ? -2 : siteNames.indexOf(site);
    List<Long> out = new ArrayList<>();
    long matched = 0;
    for (long i = indexed - 1; i >= 0; i--) {
      int k = (int) i;
      if ((kindCode >= 0 && kinds[k] != kindCode) || (siteCode != -2 && entrySites[k] != siteCode)
          || (round != null && entryRounds[k] != round)) {
        continue;
      }
      if (matched >= offset && out.size() < limit) {
        out.add(i);
      }
      matched++;
    }
    return new Page(matched, out);
  }

  record Page(long total, List<Long> indexes) {}

  synchronized String kind(long index) {
    return KINDS.get(kinds[(int) index]);
  }

  synchronized long timestamp(long index) {
    return timestamps[(int) index];
  }

  synchronized long round(long index) {
    return entryRounds[(int) index];
  }

  synchronized String site(long index) {
    int s = entrySites[(int) index];
    return s < 0 ? null : siteNames.get(s);
  }
}
