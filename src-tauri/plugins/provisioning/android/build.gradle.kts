import org.jetbrains.kotlin.gradle.dsl.JvmTarget

// WardCam provisioning plugin (Android). Never built on the development machines: see ../README.md.
plugins {
    id("com.android.library")
    id("org.jetbrains.kotlin.android")
}

android {
    namespace = "org.wardcam.provisioning"
    compileSdk = 34

    defaultConfig {
        // Bundle restrictions (the endpoint settings) need API 23; the app's minSdk is 24.
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
    // ContextCompat.registerReceiver with RECEIVER_NOT_EXPORTED on every API level.
    implementation("androidx.core:core-ktx:1.12.0")
    implementation("androidx.appcompat:appcompat:1.6.1")
    implementation(project(":tauri-android"))
}
