/**
 * The Hyper-V driver: PowerShell scripts run one per operation ({@code agent/HYPERV-DRIVER.md}).
 */
package io.failback.agent.hyperv.powershell;
