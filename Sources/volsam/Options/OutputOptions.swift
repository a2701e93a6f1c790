import ArgumentParser

/// `--json`: print one JSON object (or the command's JSON file) instead of text.
struct JSONOption: ParsableArguments {
    @Flag(name: .long, help: "Print JSON instead of text.")
    var json = false
}

/// `--json` and `--quiet` (no progress bar), for the commands that show progress.
struct ReportOptions: ParsableArguments {
    @OptionGroup var output: JSONOption

    @Flag(name: .long, help: "No progress output.")
    var quiet = false

    var json: Bool { output.json }
}
