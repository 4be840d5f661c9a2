// WardCam device plugin: the WorkManager worker that wakes the outbox. NEVER COMPILED on the
// development machines; see ../../../../README.md.
//
// It only triggers the plugin's `backgroundWake` event; the app's Rust code runs the courier's
// drain and answers `backgroundWakeDone`. When Android started the process for this work alone
// (the app was not running), no WebView and no Rust runtime exist to wake: the work ends at once
// and the next run, or the next start of the app, sends the photos.

package org.wardcam.device

import android.content.Context
import androidx.work.Worker
import androidx.work.WorkerParameters

class DeliveryWakeWorker(context: Context, params: WorkerParameters) : Worker(context, params) {
    override fun doWork(): Result {
        val plugin = DevicePlugin.live ?: return Result.success()
        plugin.wake()
        // Periodic work: success or not, the next period comes; the courier keeps its own retries.
        return Result.success()
    }
}
