package org.fedtel.coordinator;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.google.protobuf.ByteString;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.fedtel.crypto.VerifyingKey;
import org.fedtel.crypto.secagg.PeerKeys;
import org.fedtel.protocol.v1.PrivacyMode;
import org.fedtel.protocol.v1.PrivacyParams;
import org.fedtel.protocol.v1.SecAggParams;
import org.junit.jupiter.api.Test;

/** The secure-aggregation threshold the coordinator sends against the survivors the noise is calibrated to. */
class SecureAggregationThresholdTest {
  private static SecAggServer server(int participants, PrivacyMode mode, int minSurvivors) {
    Map<String, VerifyingKey> keys = new TreeMap<>();
    for (int i = 0; i < participants; i++) {
      keys.put("site-" + i, LedgerAccountingTest.key(i).verifyingKey());
    }
    SecAggParams draft = SecAggParams.newBuilder().addAllParticipants(keys.keySet()).setModulusBits(32)
        .setGraphSeed(ByteString.copyFrom(new byte[32])).build();
    PrivacyParams privacy = PrivacyParams.newBuilder().setMode(mode).setClipNorm(1).setNoiseMultiplier(1).setDelta(1e-5)
        .setMinSurvivors(minSurvivors).setSampledSites(participants).setRotationSeed(5)
        .setQuantizationScale(SecureAggregation.FIXED_POINT_SCALE).build();
    return SecureAggregation.server(PeerKeys.of(keys)).create(1, draft, privacy, 3);
  }

  @Test
  void aDistributedRoundsThresholdIsNeverBelowItsMinimumSurvivors() {
    // 3 participants: the strict majority is 2, but the noise is calibrated to 3 survivors.
    assertEquals(3, server(3, PrivacyMode.PRIVACY_MODE_DISTRIBUTED, 3).params().getThreshold());
    // Where the majority is already enough, it stays.
    assertEquals(3, server(4, PrivacyMode.PRIVACY_MODE_DISTRIBUTED, 3).params().getThreshold());
    assertEquals(4, server(6, PrivacyMode.PRIVACY_MODE_DISTRIBUTED, 2).params().getThreshold());
    // Mode local's noise does not depend on the aggregate: the majority.
    assertEquals(2, server(3, PrivacyMode.PRIVACY_MODE_LOCAL, 3).params().getThreshold());
    assertEquals(List.of("site-0", "site-1", "site-2"), server(3, PrivacyMode.PRIVACY_MODE_DISTRIBUTED, 3).params().getParticipantsList());
  }
}
