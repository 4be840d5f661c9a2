// WardCam provisioning plugin, Android half. NEVER COMPILED on the development machines (no Android
// SDK there): written against RestrictionsManager and Tauri 2's Android plugin API; see
// ../../../../README.md.
//
// Thin on purpose: it hands the managed configuration to Rust as raw JSON and says when it
// changed. wardcam-core decides what the values mean and refuses what is wrong.

package org.wardcam.provisioning

import android.app.Activity
import android.content.BroadcastReceiver
import android.content.Context
import android.content.Intent
import android.content.IntentFilter
import android.content.RestrictionsManager
import android.os.Bundle
import android.webkit.WebView
import androidx.appcompat.app.AppCompatActivity
import androidx.core.content.ContextCompat
import app.tauri.annotation.Command
import app.tauri.annotation.TauriPlugin
import app.tauri.plugin.Invoke
import app.tauri.plugin.JSObject
import app.tauri.plugin.Plugin
import org.json.JSONArray
import org.json.JSONObject

/** The event name; the same as MANAGED_CONFIG_CHANGED in src/lib.rs. */
private const val MANAGED_CONFIG_CHANGED = "managedConfigChanged"

@TauriPlugin
class ProvisioningPlugin(private val activity: Activity) : Plugin(activity) {
    private var receiver: BroadcastReceiver? = null

    override fun load(webView: WebView) {
        // Sent only to receivers registered at run time (not to manifest receivers), by the
        // system: RECEIVER_NOT_EXPORTED still receives it and keeps other apps out.
        val r = object : BroadcastReceiver() {
            override fun onReceive(context: Context, intent: Intent) {
                trigger(MANAGED_CONFIG_CHANGED, JSObject())
            }
        }
        ContextCompat.registerReceiver(
            activity.applicationContext,
            r,
            IntentFilter(Intent.ACTION_APPLICATION_RESTRICTIONS_CHANGED),
            ContextCompat.RECEIVER_NOT_EXPORTED
        )
        receiver = r
    }

    override fun onDestroy(activity: AppCompatActivity) {
        receiver?.let {
            try {
                this.activity.applicationContext.unregisterReceiver(it)
            } catch (notRegistered: IllegalArgumentException) {
                // Already unregistered.
            }
        }
        receiver = null
    }

    /** Resolves `{ "config": { ...keys } }`, or `{ "config": null }` when the device manager set nothing. */
    @Command
    fun managedConfig(invoke: Invoke) {
        val manager = activity.getSystemService(Context.RESTRICTIONS_SERVICE) as? RestrictionsManager
        val restrictions = manager?.applicationRestrictions
        val result = JSObject()
        if (restrictions == null || restrictions.isEmpty) {
            result.put("config", JSONObject.NULL)
        } else {
            result.put("config", bundleToJson(restrictions))
        }
        invoke.resolve(result)
    }

    /** Int/Long -> number, Boolean, String, Bundle -> object; arrays as arrays; nulls skipped. */
    private fun bundleToJson(bundle: Bundle): JSONObject {
        val json = JSONObject()
        for (key in bundle.keySet()) {
            @Suppress("DEPRECATION")
            val value = toJson(bundle.get(key)) ?: continue
            json.put(key, value)
        }
        return json
    }

    private fun toJson(value: Any?): Any? = when (value) {
        null -> null
        is Boolean, is Int, is Long, is String -> value
        is Bundle -> bundleToJson(value)
        // multi-select and bundle_array restrictions: not declared by WardCam, handed over so that
        // core names the key instead of it silently disappearing.
        is Array<*> -> JSONArray().also { a -> value.forEach { v -> toJson(v)?.let { a.put(it) } } }
        else -> value.toString()
    }
}
