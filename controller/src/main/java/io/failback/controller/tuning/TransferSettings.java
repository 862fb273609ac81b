package io.failback.controller.tuning;

import io.failback.common.codec.Codec;

/**
 * What one transfer moves data with, and why.
 *
 * @param because who chose the codec and on what ("asked by the operator", "host hv-01's link
 *     measured at 95 Mbit/s")
 */
public record TransferSettings(Codec codec, int lanesPerDisk, String because) {
  @Override
  public String toString() {
    return "compression " + codec + ", " + lanesPerDisk + " lane" + (lanesPerDisk == 1 ? ""
        : "s") + " per disk (" + because + ")";
  }
}
