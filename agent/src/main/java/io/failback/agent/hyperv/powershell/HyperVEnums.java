package io.failback.agent.hyperv.powershell;

import java.util.Map;

/**
 * The numbers of the Hyper-V PowerShell enums, for a host whose JSON carries numbers instead of
 * names. The scripts project names; these are the fallback. The state numbers are those of
 * {@code Microsoft.HyperV.PowerShell.VMState} on Windows Server 2016 to 2025.
 */
final class HyperVEnums {
  static final Map<Integer, String> VM_STATE = Map.ofEntries(
      Map.entry(1, "Other"), Map.entry(2, "Running"), Map.entry(3, "Off"),
      Map.entry(4, "Stopping"), Map.entry(6, "Saved"), Map.entry(9, "Paused"),
      Map.entry(10, "Starting"), Map.entry(11, "Reset"), Map.entry(32773, "Saving"),
      Map.entry(32776, "Pausing"), Map.entry(32777, "Resuming"), Map.entry(32779, "FastSaved"),
      Map.entry(32780, "FastSaving"));

  /** {@code Microsoft.Vhd.PowerShell.VhdType}. */
  static final Map<Integer, String> VHD_TYPE = Map.of(
      0, "Unknown", 2, "Fixed", 3, "Dynamic", 4, "Differencing");

  /** {@code Microsoft.Vhd.PowerShell.VhdFormat}. */
  static final Map<Integer, String> VHD_FORMAT = Map.of(
      0, "Unknown", 2, "VHD", 3, "VHDX", 4, "VHDSet");

  /** {@code Microsoft.HyperV.PowerShell.VMSwitchType}. */
  static final Map<Integer, String> SWITCH_TYPE = Map.of(
      0, "Private", 1, "Internal", 2, "External");

  /** {@code Microsoft.HyperV.PowerShell.OnOffState} (Get-VMFirmware's SecureBoot). */
  static final Map<Integer, String> ON_OFF_STATE = Map.of(0, "On", 1, "Off");

  private HyperVEnums() {}
}
