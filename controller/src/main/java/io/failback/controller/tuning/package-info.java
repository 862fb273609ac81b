/**
 * How a job's transfers move data: the compression and lanes the operator asks for, and what
 * the controller chooses where the operator leaves it open.
 */
package io.failback.controller.tuning;
