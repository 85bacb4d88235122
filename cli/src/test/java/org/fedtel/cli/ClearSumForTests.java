package org.fedtel.cli;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.fedtel.coordinator.AggregationFailedException;
import org.fedtel.coordinator.SecAggServer;
import org.fedtel.protocol.v1.AdvertiseKeys;
import org.fedtel.protocol.v1.EncryptedShare;
import org.fedtel.protocol.v1.KeyList;
import org.fedtel.protocol.v1.MaskedInput;
import org.fedtel.protocol.v1.SiteKeys;
import org.fedtel.protocol.v1.UnmaskRequest;
import org.fedtel.protocol.v1.UnmaskShares;
import org.fedtel.siteagent.SecAggClient;

/**
 * TEST DOUBLE, NOT SECURE: exercises the round engines' message flow with inputs sent in the clear
 * (doubles as raw bits), until the crypto module's secure aggregation engines are adapted. It
 * still checks what the engines must guarantee: vector lengths, one input per site, and that the
 * sum covers exactly the survivors.
 */
final class ClearSumForTests {
  private ClearSumForTests() {}

  static SecAggServer.Factory server() {
    return (round, params) -> new Server(params.getVectorLength());
  }

  static SecAggClient.Factory client() {
    return (round, siteId, params, privacy) -> new Client(siteId);
  }

  private static final class Server implements SecAggServer {
    private final int length;
    private final Map<String, double[]> inputs = new LinkedHashMap<>();
    private final List<String> advertised = new ArrayList<>();

    Server(int length) {
      this.length = length;
    }

    @Override public void advertise(String siteId, AdvertiseKeys keys) {
      advertised.add(siteId);
    }

    @Override public KeyList keyList() {
      KeyList.Builder b = KeyList.newBuilder();
      for (String s : advertised) {
        b.addSites(SiteKeys.newBuilder().setSiteId(s));
      }
      return b.build();
    }

    @Override public void shares(String siteId, List<EncryptedShare> shares) {}

    @Override public Map<String, List<EncryptedShare>> routedShares() {
      return Map.of();
    }

    @Override public void masked(String siteId, MaskedInput input) {
      double[] x = new double[length];
      for (int i = 0; i < length; i++) {
        x[i] = Double.longBitsToDouble(input.getValues(i));
      }
      if (inputs.put(siteId, x) != null) {
        throw new AssertionError("second input from " + siteId);
      }
    }

    @Override public void unmask(String siteId, UnmaskShares shares) {}

    @Override public double[] sum(List<String> survivors, List<String> dropped) throws AggregationFailedException {
      if (!inputs.keySet().containsAll(survivors)) {
        throw new AggregationFailedException("missing inputs");
      }
      double[] s = new double[length];
      for (String id : survivors) {
        double[] x = inputs.get(id);
        for (int i = 0; i < length; i++) {
          s[i] += x[i];
        }
      }
      return s;
    }
  }

  private static final class Client implements SecAggClient {
    private final String siteId;

    Client(String siteId) {
      this.siteId = siteId;
    }

    @Override public AdvertiseKeys advertise() {
      return AdvertiseKeys.getDefaultInstance();
    }

    @Override public List<EncryptedShare> shares(KeyList keys) {
      return List.of();
    }

    @Override public void receiveShares(List<EncryptedShare> shares) {}

    @Override public MaskedInput mask(double[] input) {
      MaskedInput.Builder b = MaskedInput.newBuilder();
      for (double x : input) {
        b.addValues(Double.doubleToRawLongBits(x));
      }
      return b.build();
    }

    @Override public UnmaskShares unmask(UnmaskRequest request) {
      return UnmaskShares.getDefaultInstance();
    }
  }

}
