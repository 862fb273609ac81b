package io.failback.controller.bandwidth;

import java.util.Locale;

/** What a bandwidth limit covers: every transfer, a host's, a recovery plan's or a job's. */
public record LimitScope(Kind kind, String name) {
  /** The kinds of scope, narrowest first. */
  public enum Kind { JOB, PLAN, HOST, GLOBAL }

  public static final LimitScope GLOBAL = new LimitScope(Kind.GLOBAL, "");

  public LimitScope {
    // Hosts and plans compare regardless of case; job ids are lower case already.
    name = name.toLowerCase(Locale.ROOT);
  }

  public static LimitScope host(String host) {
    return new LimitScope(Kind.HOST, host);
  }

  public static LimitScope plan(String plan) {
    return new LimitScope(Kind.PLAN, plan);
  }

  public static LimitScope job(String jobId) {
    return new LimitScope(Kind.JOB, jobId);
  }

  /** "host hv-01", "job 1f2e…", "recovery plan web", "global". */
  public String describe() {
    return switch (kind) {
      case GLOBAL -> "global";
      case HOST -> "host " + name;
      case PLAN -> "recovery plan " + name;
      case JOB -> "job " + name;
    };
  }
}
