// WardCam device plugin (Android). Never built on the development machines: see ../README.md.
import org.jetbrains.kotlin.gradle.dsl.JvmTarget

plugins {
    id("com.android.library")
    id("org.jetbrains.kotlin.android")
}

android {
    namespace = "org.wardcam.device"
    compileSdk = 34

    defaultConfig {
        // KeyguardManager.isDeviceSecure and setInvalidatedByBiometricEnrollment need API 23/24;
        // the app's minSdk is 24.
        minSdk = 24
        consumerProguardFiles("consumer-rules.pro")
    }

    buildTypes {
        release {
            isMinifyEnabled = false
        }
    }
    compileOptions {
        sourceCompatibility = JavaVersion.VERSION_1_8
        targetCompatibility = JavaVersion.VERSION_1_8
    }
}

// Kotlin Gradle plugin 2.3+ rejects `android { kotlinOptions }`; this is what Tauri's own Android
// library and the generated app (src-tauri/gen/android/app) use.
kotlin {
    compilerOptions {
        jvmTarget = JvmTarget.JVM_1_8
    }
}

dependencies {
    implementation("androidx.core:core-ktx:1.12.0")
    implementation("androidx.appcompat:appcompat:1.6.1")
    // BiometricPrompt with setAllowedAuthenticators (DEVICE_CREDENTIAL) and CryptoObject; the
    // version the official biometric plugin uses. Brings androidx.fragment (FragmentActivity).
    implementation("androidx.biometric:biometric:1.1.0")
    // Periodic background wake with a network constraint. 2.9.x builds against compileSdk 34
    // (2.10 needs 35).
    implementation("androidx.work:work-runtime-ktx:2.9.1")
    implementation(project(":tauri-android"))
}
