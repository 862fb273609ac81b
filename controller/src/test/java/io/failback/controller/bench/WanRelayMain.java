package io.failback.controller.bench;

import java.net.InetSocketAddress;

/**
 * The WAN relay on its own, for runs driven from outside (an agent process dialling the relay,
 * the operator CLI timing a job): {@code WanRelayMain TARGET_PORT RTT_MS RATE_MBIT}; prints the
 * relay's port on its first line and relays until killed.
 */
public final class WanRelayMain {
  private WanRelayMain() {}

  public static void main(String[] args) throws Exception {
    if (args.length != 3) {
      System.err.println("usage: WanRelayMain TARGET_PORT RTT_MS RATE_MBIT");
      System.exit(2);
    }
    WanRelay relay = new WanRelay(new InetSocketAddress("127.0.0.1",
        Integer.parseInt(args[0])));
    relay.set(Long.parseLong(args[1]), Long.parseLong(args[2]));
    System.out.println(relay.port());
    System.out.flush();
    Thread.currentThread().join();
  }
}
