package io.failback.common.procrun;

import io.failback.common.cli.ConfigFiles;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;

/**
 * How this process's component ends: {@link #stop} from a signal's shutdown hook (SIGTERM,
 * Ctrl+C) or from the Windows service manager (procrun calls the entry point's {@code stop},
 * which calls {@link #stopService}), and in both cases only after the component's {@code close}
 * has wound it down. A process runs its component once.
 */
public final class ServiceLifetime {
  private static final Logger log = LoggerFactory.getLogger(ServiceLifetime.class);

  private final ServiceDefinition service;
  private final CountDownLatch stopRequested = new CountDownLatch(1);
  private final CountDownLatch stopped = new CountDownLatch(1);

  public ServiceLifetime(ServiceDefinition service) {
    this.service = service;
  }

  /**
   * Runs until {@link #stop} is called, also by the shutdown hook this installs, then runs
   * {@code close}; blocks the caller. {@code running} is called once the hook is in place: what
   * tells the service manager the component is up (READY) goes there, so that a stop asked for
   * right after it is a graceful one, never a JVM ending without {@code close}.
   */
  public void run(Runnable running, Runnable close) throws InterruptedException {
    Thread hook = new Thread(this::stop, service.component() + "-shutdown");
    Runtime.getRuntime().addShutdownHook(hook);
    try {
      running.run();
      stopRequested.await();
    } finally {
      io.failback.common.service.ServiceNotify.stopping();
      try {
        close.run();
      } finally {
        // Even a failed close ends the wait of stop(), which would otherwise last its limit.
        stopped.countDown();
      }
    }
    try {
      Runtime.getRuntime().removeShutdownHook(hook);
    } catch (IllegalStateException shuttingDown) {
      // The hook is what stopped us; it is running.
    }
  }

  /**
   * Asks the running component to stop and waits until it has, at most the service's stop
   * wait: a shutdown hook that returned early would let the JVM halt in the middle of a flush.
   *
   * @return whether the component finished stopping in time
   */
  public boolean stop() {
    stopRequested.countDown();
    try {
      return stopped.await(service.stopWait().toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  /**
   * procrun's start method: runs {@code command} with the service's parameters (options from
   * the config file they name) and returns when the component has stopped, or could not start.
   */
  public void startService(CommandLine command, String[] args, String configEnvironment) {
    int exit = ConfigFiles.execute(command, args, configEnvironment, null);
    if (exit != 0) {
      // procrun records a start method that returns at once as a failed start.
      log.error("the " + service.component() + " service ended with exit code " + exit);
    }
  }

  /** procrun's stop method: stops the component gracefully and returns once it has. */
  public void stopService() {
    if (!stop()) {
      log.warn("the " + service.component() + " did not finish stopping within "
          + service.stopWait().toSeconds() + " s");
    }
  }
}
