// The names of the public enumerations, shared by the command line and the elements.
#include <cctype>
#include <string>

#include "amused.h"

namespace amused {

namespace {

template <typename Enum, size_t N>
Enum parse_name(const std::string &text, const Enum (&values)[N], const char *what) {
  std::string names;
  for (Enum v : values) {
    if (text == to_string(v)) return v;
    names += (names.empty() ? "" : ", ") + std::string(to_string(v));
  }
  throw Error(std::string("unknown ") + what + " '" + text + "' (one of " + names + ")");
}

}  // namespace

const char *to_string(Precision precision) {
  switch (precision) {
    case Precision::kFloat32:
      return "fp32";
    case Precision::kBFloat16:
      return "bf16";
    case Precision::kInt8:
      return "int8";
  }
  return "?";
}

const char *to_string(CrossFrameAttention mode) {
  switch (mode) {
    case CrossFrameAttention::kNone:
      return "none";
    case CrossFrameAttention::kFirst:
      return "first";
    case CrossFrameAttention::kFirstAndPrevious:
      return "first-and-previous";
  }
  return "?";
}

const char *to_string(CameraMotion motion) {
  switch (motion) {
    case CameraMotion::kNone:
      return "none";
    case CameraMotion::kPanLeft:
      return "pan-left";
    case CameraMotion::kPanRight:
      return "pan-right";
    case CameraMotion::kPanUp:
      return "pan-up";
    case CameraMotion::kPanDown:
      return "pan-down";
    case CameraMotion::kZoomIn:
      return "zoom-in";
    case CameraMotion::kZoomOut:
      return "zoom-out";
  }
  return "?";
}

Precision parse_precision(const std::string &name) {
  static constexpr Precision kAll[] = {Precision::kFloat32, Precision::kBFloat16, Precision::kInt8};
  return parse_name(name, kAll, "precision");
}

CrossFrameAttention parse_cross_frame_attention(const std::string &name) {
  static constexpr CrossFrameAttention kAll[] = {CrossFrameAttention::kNone,
                                                 CrossFrameAttention::kFirst,
                                                 CrossFrameAttention::kFirstAndPrevious};
  return parse_name(name, kAll, "cross-frame attention mode");
}

CameraMotion parse_camera_motion(const std::string &name) {
  static constexpr CameraMotion kAll[] = {
      CameraMotion::kNone,    CameraMotion::kPanLeft, CameraMotion::kPanRight, CameraMotion::kPanUp,
      CameraMotion::kPanDown, CameraMotion::kZoomIn,  CameraMotion::kZoomOut};
  return parse_name(name, kAll, "camera motion");
}

std::string parse_device(const std::string &name) {
  if (name == "cpu" || name == "cuda") return name;
  const std::string prefix = "cuda:";
  if (name.compare(0, prefix.size(), prefix) == 0 && name.size() > prefix.size() &&
      name.size() <= prefix.size() + 2) {
    bool digits = true;
    for (size_t i = prefix.size(); i < name.size(); ++i)
      digits = digits && std::isdigit(static_cast<unsigned char>(name[i]));
    if (digits) return name;
  }
  throw Error("unknown device '" + name + "' (cpu, cuda or cuda:N)");
}

}  // namespace amused
