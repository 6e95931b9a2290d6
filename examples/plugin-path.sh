# Sourced by the example scripts (POSIX sh). Makes the `amused` GStreamer plugin loadable:
# an installed plugin (meson install) is used as is; otherwise the build tree's plugin is
# put on GST_PLUGIN_PATH. The build tree is $AMUSED_BUILD_DIR, by default `build` next to
# this folder (what scripts/build.sh makes), so the scripts run from any working directory.
# Expects $examples_dir to be set to this folder by the caller.

if ! gst-inspect-1.0 amusedsrc >/dev/null 2>&1; then
  amused_build_dir=${AMUSED_BUILD_DIR:-$examples_dir/../build}
  if [ ! -e "$amused_build_dir/plugin/libgstamused.so" ]; then
    echo "$0: the amused plugin is neither installed nor built in $amused_build_dir" >&2
    echo "$0: run scripts/build.sh (or set AMUSED_BUILD_DIR to your meson build folder)" >&2
    exit 1
  fi
  GST_PLUGIN_PATH="$(cd "$amused_build_dir/plugin" && pwd)${GST_PLUGIN_PATH:+:$GST_PLUGIN_PATH}"
  export GST_PLUGIN_PATH
fi
