// `trit quantize IN OUT TYPE`: convert a model's weight matrices to another type, with a
// per-tensor report of what the conversion lost (tools/quantize.h).
#include <cstdio>
#include <memory>
#include <string>

#include "cli/command.h"
#include "formats/type_info.h"
#include "tools/quantize.h"
#include "tools/quantize_report.h"

namespace trit::cli {
namespace {

struct QuantizeCommand {
  tools::QuantizeOptions options;
  bool json = false;
  bool quiet = false;

  void setup(CLI::App& app) {
    const std::string types = formats::join_names(formats::quantize_type_names());
    app.add_option("IN", options.input, "Input GGUF model (F32, F16, BF16 or any type trit reads)")
        ->required()
        ->check(CLI::ExistingFile);
    app.add_option("OUT", options.output, "Output GGUF file (written atomically)")->required();
    // Checked by the tool itself so an unsupported type gets its own clear message.
    app.add_option("TYPE", options.type, "Weight type: " + types + " (q2_0 is group 128)")->required();
    app.add_flag("--json", json, "Print the per-tensor report as JSON");
    app.add_flag("--force", options.overwrite, "Overwrite an existing output file");
    app.add_option("-t,--threads", options.threads, "Threads (0: physical cores)")->capture_default_str();
    app.add_flag("-q,--quiet", quiet, "No progress output; only the summary line (or the JSON)");
  }

  int run() {
    if (quiet) options.progress = Progress::Mode::off;
    tools::QuantizeReport report = tools::quantize_model(options);
    if (json) {
      std::printf("%s\n", tools::quantize_report_json(report).dump(2).c_str());
    } else if (quiet) {
      std::printf("%s\n", tools::quantize_summary_line(report).c_str());
    } else {
      std::fputs(tools::quantize_report_text(report).c_str(), stdout);
    }
    return 0;
  }
};

CommandRegistration registration("quantize", "Convert a model's weights to another weight type",
                                 [](CLI::App& app) {
                                   auto command = std::make_shared<QuantizeCommand>();
                                   command->setup(app);
                                   return [command] { return command->run(); };
                                 });

}  // namespace
}  // namespace trit::cli
