package org.wardcam.app

import android.os.Build
import android.os.Bundle
import android.view.WindowManager
import androidx.activity.enableEdgeToEdge

class MainActivity : TauriActivity() {
  override fun onCreate(savedInstanceState: Bundle?) {
    // Before any content exists: no screenshots, screen recording, casting or app-switcher
    // snapshot of patient data (issue 17; asserted by scripts/check-mobile).
    window.setFlags(WindowManager.LayoutParams.FLAG_SECURE, WindowManager.LayoutParams.FLAG_SECURE)
    if (Build.VERSION.SDK_INT >= Build.VERSION_CODES.TIRAMISU) {
      setRecentsScreenshotEnabled(false)
    }
    enableEdgeToEdge()
    super.onCreate(savedInstanceState)
  }
}
