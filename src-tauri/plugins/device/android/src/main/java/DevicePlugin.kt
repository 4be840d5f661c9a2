// WardCam device plugin, Android half. NEVER COMPILED on the development machines (no Android SDK
// there): written against KeyguardManager, DevicePolicyManager, the Android Keystore, androidx
// BiometricPrompt, lock task mode and WorkManager, and Tauri 2's Android plugin API; see
// ../../../../README.md.
//
// Thin on purpose: every command answers a raw fact ("secure", "released", "cancelled", ...) and
// wardcam-core decides what it means (PasscodeStatus, ReleaseAction, KioskPinning).

package org.wardcam.device

import android.app.Activity
import android.app.ActivityManager
import android.app.KeyguardManager
import android.app.admin.DevicePolicyManager
import android.content.Context
import android.os.Build
import android.os.Handler
import android.os.Looper
import android.security.keystore.KeyGenParameterSpec
import android.security.keystore.KeyPermanentlyInvalidatedException
import android.security.keystore.KeyProperties
import android.security.keystore.UserNotAuthenticatedException
import android.util.Base64
import android.webkit.WebView
import androidx.appcompat.app.AppCompatActivity
import androidx.biometric.BiometricManager.Authenticators
import androidx.biometric.BiometricPrompt
import androidx.core.content.ContextCompat
import androidx.fragment.app.FragmentActivity
import androidx.work.Constraints
import androidx.work.ExistingPeriodicWorkPolicy
import androidx.work.NetworkType
import androidx.work.PeriodicWorkRequestBuilder
import androidx.work.WorkManager
import app.tauri.annotation.Command
import app.tauri.annotation.InvokeArg
import app.tauri.annotation.TauriPlugin
import app.tauri.plugin.Invoke
import app.tauri.plugin.JSObject
import app.tauri.plugin.Plugin
import org.json.JSONObject
import java.io.File
import java.security.KeyStore
import java.util.concurrent.CountDownLatch
import java.util.concurrent.TimeUnit
import javax.crypto.Cipher
import javax.crypto.KeyGenerator
import javax.crypto.SecretKey
import javax.crypto.spec.GCMParameterSpec

/** The event name; the same as BACKGROUND_WAKE in src/lib.rs. */
private const val BACKGROUND_WAKE = "backgroundWake"
private const val KEYSTORE = "AndroidKeyStore"
private const val TRANSFORMATION = "AES/GCM/NoPadding"
private const val IV_LEN = 12
private const val TAG_BITS = 128
/** Below API 30 a Keystore key cannot need authentication per use together with the device
 *  credential, so it is usable for this many seconds after the prompt instead. */
private const val AUTH_WINDOW_SECONDS = 10
/** Key names: the same rule as check_alias in src/answers.rs. */
private val ALIAS = Regex("^[A-Za-z0-9_-][A-Za-z0-9._-]{0,63}$")
private const val WAKE_WORK = "wardcam-delivery-wake"
/** How long a background wake waits for Rust's backgroundWakeDone (WorkManager allows 10 min). */
const val WAKE_BUDGET_SECONDS = 25L

@InvokeArg
class KeyArgs {
    lateinit var alias: String
    var reason: String = ""
    var secret: String? = null
}

@InvokeArg
class LockTaskArgs {
    var enabled: Boolean = false
}

@InvokeArg
class DoneArgs {
    var ok: Boolean = false
}

@TauriPlugin
class DevicePlugin(private val activity: Activity) : Plugin(activity) {
    private val main = Handler(Looper.getMainLooper())
    @Volatile private var pendingWake: CountDownLatch? = null

    companion object {
        /** The loaded plugin, for DeliveryWakeWorker; null when the process runs without the app. */
        @Volatile var live: DevicePlugin? = null
    }

    override fun load(webView: WebView) {
        live = this
        // Wakes the outbox about every 15 minutes (WorkManager's minimum) when a network is up.
        val constraints = Constraints.Builder().setRequiredNetworkType(NetworkType.CONNECTED).build()
        val work = PeriodicWorkRequestBuilder<DeliveryWakeWorker>(15, TimeUnit.MINUTES)
            .setConstraints(constraints)
            .build()
        WorkManager.getInstance(activity.applicationContext)
            .enqueueUniquePeriodicWork(WAKE_WORK, ExistingPeriodicWorkPolicy.KEEP, work)
    }

    override fun onDestroy(activity: AppCompatActivity) {
        if (live === this) {
            live = null
        }
        pendingWake?.countDown()
    }

    private fun answer(invoke: Invoke, word: String, secret: String? = null) {
        val result = JSObject()
        result.put("answer", word)
        if (secret != null) {
            result.put("secret", secret)
        }
        invoke.resolve(result)
    }

    // ---- The passcode gate -------------------------------------------------------------------

    /** Resolves `{ "deviceSecure": true|false|null, "complexity": "none"|"low"|"medium"|"high"|null }`. */
    @Command
    fun lockScreen(invoke: Invoke) {
        val result = JSObject()
        val keyguard = activity.getSystemService(Context.KEYGUARD_SERVICE) as? KeyguardManager
        result.put("deviceSecure", keyguard?.isDeviceSecure ?: JSONObject.NULL)
        var complexity: Any = JSONObject.NULL
        if (Build.VERSION.SDK_INT >= Build.VERSION_CODES.Q) {
            val dpm = activity.getSystemService(Context.DEVICE_POLICY_SERVICE) as? DevicePolicyManager
            try {
                complexity = when (dpm?.passwordComplexity) {
                    DevicePolicyManager.PASSWORD_COMPLEXITY_NONE -> "none"
                    DevicePolicyManager.PASSWORD_COMPLEXITY_LOW -> "low"
                    DevicePolicyManager.PASSWORD_COMPLEXITY_MEDIUM -> "medium"
                    DevicePolicyManager.PASSWORD_COMPLEXITY_HIGH -> "high"
                    else -> JSONObject.NULL
                }
            } catch (e: SecurityException) {
                // REQUEST_PASSWORD_COMPLEXITY missing from the app manifest: cannot say.
            }
        }
        result.put("complexity", complexity)
        invoke.resolve(result)
    }

    // ---- The app lock's key ------------------------------------------------------------------

    private fun keystoreAlias(alias: String) = "wardcam.device.$alias"

    private fun wrappedFile(alias: String) =
        File(File(activity.noBackupFilesDir, "wardcam-device"), "$alias.bin")

    private fun keystore(): KeyStore = KeyStore.getInstance(KEYSTORE).apply { load(null) }

    private fun newKey(alias: String): SecretKey {
        val spec = KeyGenParameterSpec.Builder(
            keystoreAlias(alias),
            KeyProperties.PURPOSE_ENCRYPT or KeyProperties.PURPOSE_DECRYPT
        )
            .setBlockModes(KeyProperties.BLOCK_MODE_GCM)
            .setEncryptionPaddings(KeyProperties.ENCRYPTION_PADDING_NONE)
            .setKeySize(256)
            .setUserAuthenticationRequired(true)
            // The device credential unlocks it too: a new fingerprint must not lose the vault.
            .setInvalidatedByBiometricEnrollment(false)
        if (Build.VERSION.SDK_INT >= Build.VERSION_CODES.R) {
            spec.setUserAuthenticationParameters(
                0,
                KeyProperties.AUTH_BIOMETRIC_STRONG or KeyProperties.AUTH_DEVICE_CREDENTIAL
            )
        } else {
            @Suppress("DEPRECATION")
            spec.setUserAuthenticationValidityDurationSeconds(AUTH_WINDOW_SECONDS)
        }
        val generator = KeyGenerator.getInstance(KeyProperties.KEY_ALGORITHM_AES, KEYSTORE)
        generator.init(spec.build())
        return generator.generateKey()
    }

    private fun existingKey(alias: String): SecretKey? =
        keystore().getKey(keystoreAlias(alias), null) as? SecretKey

    private fun forget(alias: String) {
        try {
            keystore().deleteEntry(keystoreAlias(alias))
        } catch (e: Exception) {
            // Nothing to delete.
        }
        wrappedFile(alias).delete()
    }

    private fun decode(text: String): ByteArray? = try {
        Base64.decode(text, Base64.URL_SAFE or Base64.NO_WRAP)
    } catch (e: IllegalArgumentException) {
        null
    }

    private fun encode(bytes: ByteArray): String =
        Base64.encodeToString(bytes, Base64.URL_SAFE or Base64.NO_WRAP or Base64.NO_PADDING)

    /**
     * Shows the system prompt (biometrics or the device credential) and hands `use` a cipher the
     * Keystore lets work. API 30+: the key needs authentication for each use, so the cipher goes
     * into the prompt as a CryptoObject. Below: the key works for AUTH_WINDOW_SECONDS after the
     * prompt, so the cipher is made after it. `cleanup` runs exactly once, whatever happens.
     */
    private fun authenticated(
        invoke: Invoke,
        reason: String,
        makeCipher: () -> Cipher,
        cleanup: () -> Unit,
        use: (Cipher) -> Unit
    ) {
        val host = activity as? FragmentActivity
        if (host == null) {
            cleanup()
            answer(invoke, "unavailable")
            return
        }
        val perUse = Build.VERSION.SDK_INT >= Build.VERSION_CODES.R
        var early: Cipher? = null
        if (perUse) {
            try {
                early = makeCipher()
            } catch (e: KeyPermanentlyInvalidatedException) {
                cleanup()
                answer(invoke, "missing")
                return
            } catch (e: Exception) {
                cleanup()
                answer(invoke, "unavailable")
                return
            }
        }
        val authenticators = if (perUse) {
            Authenticators.BIOMETRIC_STRONG or Authenticators.DEVICE_CREDENTIAL
        } else {
            // BIOMETRIC_STRONG with DEVICE_CREDENTIAL is not supported on API 28-29.
            Authenticators.BIOMETRIC_WEAK or Authenticators.DEVICE_CREDENTIAL
        }
        val info = BiometricPrompt.PromptInfo.Builder()
            .setTitle(reason.ifEmpty { "WardCam" })
            .setAllowedAuthenticators(authenticators)
            .build()
        val callback = object : BiometricPrompt.AuthenticationCallback() {
            override fun onAuthenticationSucceeded(result: BiometricPrompt.AuthenticationResult) {
                try {
                    val cipher = if (perUse) result.cryptoObject?.cipher else makeCipher()
                    if (cipher == null) {
                        answer(invoke, "unavailable")
                    } else {
                        use(cipher)
                    }
                } catch (e: KeyPermanentlyInvalidatedException) {
                    answer(invoke, "missing")
                } catch (e: UserNotAuthenticatedException) {
                    answer(invoke, "refused")
                } catch (e: Exception) {
                    answer(invoke, "unavailable")
                } finally {
                    cleanup()
                }
            }

            override fun onAuthenticationError(errorCode: Int, errString: CharSequence) {
                cleanup()
                answer(invoke, errorAnswer(errorCode))
            }
            // onAuthenticationFailed: one attempt not recognised; the prompt stays up.
        }
        main.post {
            try {
                val prompt = BiometricPrompt(host, ContextCompat.getMainExecutor(activity), callback)
                val crypto = early
                if (crypto != null) {
                    prompt.authenticate(info, BiometricPrompt.CryptoObject(crypto))
                } else {
                    prompt.authenticate(info)
                }
            } catch (e: Exception) {
                cleanup()
                answer(invoke, "unavailable")
            }
        }
    }

    private fun errorAnswer(code: Int): String = when (code) {
        BiometricPrompt.ERROR_USER_CANCELED,
        BiometricPrompt.ERROR_NEGATIVE_BUTTON,
        BiometricPrompt.ERROR_CANCELED,
        BiometricPrompt.ERROR_TIMEOUT -> "cancelled"
        BiometricPrompt.ERROR_LOCKOUT,
        BiometricPrompt.ERROR_LOCKOUT_PERMANENT -> "lockedOut"
        else -> "unavailable"
    }

    /** Wraps the 32-byte secret under a new Keystore key; resolves `{ "answer": "stored" | ... }`. */
    @Command
    fun storeKey(invoke: Invoke) {
        val args = invoke.parseArgs(KeyArgs::class.java)
        val secret = args.secret?.let { decode(it) }
        if (!ALIAS.matches(args.alias) || secret == null) {
            invoke.reject("bad key name or key")
            return
        }
        val key = try {
            forget(args.alias)
            newKey(args.alias)
        } catch (e: Exception) {
            // No secure lock screen (or no Keystore): the key cannot be made.
            secret.fill(0)
            answer(invoke, "unavailable")
            return
        }
        authenticated(
            invoke,
            args.reason,
            makeCipher = { Cipher.getInstance(TRANSFORMATION).apply { init(Cipher.ENCRYPT_MODE, key) } },
            cleanup = { secret.fill(0) }
        ) { cipher ->
            val sealed = cipher.doFinal(secret)
            val iv = cipher.iv
            val file = wrappedFile(args.alias)
            file.parentFile?.mkdirs()
            val partial = File(file.parentFile, file.name + ".new")
            partial.writeBytes(iv + sealed)
            if (!partial.renameTo(file)) {
                partial.delete()
                answer(invoke, "unavailable")
            } else {
                answer(invoke, "stored")
            }
        }
    }

    /** Unwraps the secret after the user authenticates; resolves `{ "answer": "released", "secret": ... }` or why not. */
    @Command
    fun releaseKey(invoke: Invoke) {
        val args = invoke.parseArgs(KeyArgs::class.java)
        if (!ALIAS.matches(args.alias)) {
            invoke.reject("bad key name")
            return
        }
        val file = wrappedFile(args.alias)
        val key = try {
            existingKey(args.alias)
        } catch (e: Exception) {
            null
        }
        if (key == null || !file.exists()) {
            answer(invoke, "missing")
            return
        }
        val blob = file.readBytes()
        if (blob.size <= IV_LEN) {
            answer(invoke, "missing")
            return
        }
        val iv = blob.copyOfRange(0, IV_LEN)
        val sealed = blob.copyOfRange(IV_LEN, blob.size)
        authenticated(
            invoke,
            args.reason,
            makeCipher = {
                Cipher.getInstance(TRANSFORMATION).apply {
                    init(Cipher.DECRYPT_MODE, key, GCMParameterSpec(TAG_BITS, iv))
                }
            },
            cleanup = {}
        ) { cipher ->
            val secret = cipher.doFinal(sealed)
            try {
                answer(invoke, "released", encode(secret))
            } finally {
                secret.fill(0)
            }
        }
    }

    /** Deletes the Keystore key and the wrapped secret; resolves `{ "answer": "forgotten" }`. */
    @Command
    fun forgetKey(invoke: Invoke) {
        val args = invoke.parseArgs(KeyArgs::class.java)
        if (!ALIAS.matches(args.alias)) {
            invoke.reject("bad key name")
            return
        }
        forget(args.alias)
        answer(invoke, "forgotten")
    }

    // ---- Kiosk: lock task mode ---------------------------------------------------------------

    /**
     * `enabled`: startLockTask. Allow-listed by the device owner: the phone is locked to WardCam
     * at once ("locked", or "refused" if it did not happen). Not allow-listed: Android asks the
     * user to pin the app, or ignores it when App pinning is off ("pinningRequested").
     * Not `enabled`: stopLockTask ("stopped").
     */
    @Command
    fun lockTask(invoke: Invoke) {
        val args = invoke.parseArgs(LockTaskArgs::class.java)
        main.post {
            try {
                if (!args.enabled) {
                    activity.stopLockTask()
                    answer(invoke, "stopped")
                    return@post
                }
                val dpm = activity.getSystemService(Context.DEVICE_POLICY_SERVICE) as? DevicePolicyManager
                val permitted = dpm?.isLockTaskPermitted(activity.packageName) == true
                activity.startLockTask()
                if (!permitted) {
                    answer(invoke, "pinningRequested")
                    return@post
                }
                // The mode changes through the system server: look once it had a moment.
                main.postDelayed({
                    val am = activity.getSystemService(Context.ACTIVITY_SERVICE) as? ActivityManager
                    val locked = am?.lockTaskModeState == ActivityManager.LOCK_TASK_MODE_LOCKED
                    answer(invoke, if (locked) "locked" else "refused")
                }, 300)
            } catch (e: Exception) {
                // IllegalStateException / SecurityException: not in front, or not allowed.
                answer(invoke, if (args.enabled) "refused" else "stopped")
            }
        }
    }

    // ---- iOS only ----------------------------------------------------------------------------

    /** The app manifest's backup rules already exclude every domain: nothing to do here. */
    @Command
    fun excludeFromBackup(invoke: Invoke) {
        answer(invoke, "unavailable")
    }

    /** Credential-encrypted storage (the app's files) is readable once the phone has been
     *  unlocked since it started, which is what delivery while locked needs: nothing to do. */
    @Command
    fun protectUntilFirstUnlock(invoke: Invoke) {
        answer(invoke, "unavailable")
    }

    /** The device status for MDM (DeviceStatus::feedback in wardcam-core). iOS writes it into
     *  managed app feedback. Android's counterpart, keyed app states, needs
     *  androidx.enterprise:enterprise-feedback, which is not in the package registries the
     *  development machines can reach, so nothing is reported here (docs/provisioning.md, "Device
     *  status"). Resolves { "answer": "unavailable" }; never rejects, so the shell goes on. */
    @Command
    fun reportStatus(invoke: Invoke) {
        answer(invoke, "unavailable")
    }

    // ---- Background delivery -----------------------------------------------------------------

    /** Called by DeliveryWakeWorker on its own thread: asks Rust to drain, waits for its answer. */
    fun wake(): Boolean {
        val latch = CountDownLatch(1)
        pendingWake = latch
        trigger(BACKGROUND_WAKE, JSObject())
        val finished = latch.await(WAKE_BUDGET_SECONDS, TimeUnit.SECONDS)
        if (pendingWake === latch) {
            pendingWake = null
        }
        return finished
    }

    /** Rust's drain finished (BackgroundWake::done in src/lib.rs). */
    @Command
    fun backgroundWakeDone(invoke: Invoke) {
        pendingWake?.countDown()
        answer(invoke, "stopped")
    }
}
