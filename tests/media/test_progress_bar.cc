// ProgressBar: line formatting and the two drawing modes, with an injected clock.
#include <gtest/gtest.h>

#include <cstdio>
#include <string>

#include "progress_bar.h"

namespace amused::media {
namespace {

std::string read_all(std::FILE *f) {
  std::fflush(f);
  std::rewind(f);
  std::string out;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) out.append(buf, n);
  return out;
}

int count(const std::string &s, char c) {
  return static_cast<int>(std::count(s.begin(), s.end(), c));
}

TEST(FormatDuration, MinutesAndHours) {
  EXPECT_EQ(format_duration(0), "0:00");
  EXPECT_EQ(format_duration(59.4), "0:59");
  EXPECT_EQ(format_duration(61), "1:01");
  EXPECT_EQ(format_duration(3725), "1:02:05");
  EXPECT_EQ(format_duration(-1), "?");
}

TEST(FormatProgress, HalfWay) {
  const std::string line = format_progress("frames", 12, 24, 14.0, "frame", 80);
  EXPECT_EQ(line.size(), 80u);  // the bar takes whatever the numbers leave
  EXPECT_EQ(line.rfind("frames  50% [", 0), 0u) << line;
  EXPECT_NE(line.find("] 12/24  0:14<0:14  1.17 s/frame"), std::string::npos) << line;
  EXPECT_NE(line.find("=>"), std::string::npos) << line;
}

TEST(FormatProgress, FastRateAndDone) {
  const std::string line = format_progress("steps", 240, 240, 2.0, "step", 60);
  EXPECT_NE(line.find("100%"), std::string::npos) << line;
  EXPECT_NE(line.find("120 step/s"), std::string::npos) << line;
  EXPECT_NE(line.find("<0:00"), std::string::npos) << line;
  EXPECT_EQ(line.find('>'), std::string::npos) << line;  // full bar, no arrow head
}

TEST(FormatProgress, UnknownTotalAndNarrowWidth) {
  EXPECT_EQ(format_progress("frames", 7, 0, 3.5, "frame", 80), "frames 7  0:04  2.00 frame/s");
  const std::string narrow = format_progress("frames", 1, 4, 1.0, "frame", 20);
  EXPECT_EQ(narrow.find('['), std::string::npos) << narrow;  // bar dropped, numbers kept
  EXPECT_NE(narrow.find("1/4"), std::string::npos) << narrow;
  EXPECT_NE(format_progress("x", 0, 4, 0.0, "it", 80).find("? it/s"), std::string::npos);
}

struct FakeClock {
  double t = 100.0;
};

TEST(ProgressBar, SparseLinesWhenNotATerminal) {
  std::FILE *f = std::tmpfile();
  ASSERT_NE(f, nullptr);
  FakeClock clock;
  {
    ProgressBar bar("frames", 100, {"frame", f, 0, 80, [&] { return clock.t; }});
    for (int i = 0; i < 100; ++i) {
      clock.t += 0.5;
      bar.advance();
    }
    bar.finish();
  }
  const std::string out = read_all(f);
  std::fclose(f);
  EXPECT_EQ(count(out, '\r'), 0);
  // The first item (so a slow run shows its rate early), then one line per tenth (10%, 20%,
  // ... 100%), none repeated by finish() or the destructor.
  EXPECT_EQ(count(out, '\n'), 11) << out;
  EXPECT_NE(out.find("frames   1% "), std::string::npos) << out;
  EXPECT_NE(out.find("frames 100%"), std::string::npos) << out;
  EXPECT_NE(out.find("100/100  0:50<0:00  2.00 frame/s"), std::string::npos) << out;
}

TEST(ProgressBar, RedrawsInPlaceOnATerminal) {
  std::FILE *f = std::tmpfile();
  ASSERT_NE(f, nullptr);
  FakeClock clock;
  {
    ProgressBar bar("steps", 12, {"step", f, 1, 60, [&] { return clock.t; }});
    for (int i = 0; i < 12; ++i) {
      clock.t += 0.05;  // two updates per redraw interval: half are coalesced
      bar.advance();
    }
  }  // destructor finishes
  const std::string out = read_all(f);
  std::fclose(f);
  EXPECT_EQ(count(out, '\n'), 1) << out;  // only the final line ends
  EXPECT_GE(count(out, '\r'), 6);
  EXPECT_LE(count(out, '\r'), 9);
  EXPECT_EQ(out.back(), '\n');
  EXPECT_NE(out.find("steps 100%"), std::string::npos);
}

TEST(ProgressBar, FinishEarlyShowsWhereItStopped) {
  std::FILE *f = std::tmpfile();
  FakeClock clock;
  {
    ProgressBar bar("frames", 10, {"frame", f, 0, 80, [&] { return clock.t; }});
    clock.t += 1;
    bar.update(3);
  }
  const std::string out = read_all(f);
  std::fclose(f);
  EXPECT_EQ(count(out, '\n'), 2) << out;  // the 30% line, then the final state
  EXPECT_NE(out.find("3/10"), std::string::npos);
}

}  // namespace
}  // namespace amused::media
