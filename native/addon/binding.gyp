{
  "targets": [
    {
      "target_name": "gramine_ts_pal",
      "sources": ["pal.cc", "gcm.cc", "fifo-open.cc", "once-watch.cc"],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "defines": ["NAPI_VERSION=8", "NAPI_CPP_EXCEPTIONS"],
      "cflags!": ["-fno-exceptions"],
      "cflags_cc!": ["-fno-exceptions"],
      "cflags_cc": ["-std=c++17", "-Wall", "-Wextra", "-Werror", "-Wno-unused-parameter", "-fexceptions", "-O2"]
    }
  ]
}
