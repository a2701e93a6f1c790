import Foundation
import Volume

/// A self-contained HTML page (inline style, one small inline script that sorts tables by a clicked column; no
/// network, no framework), written as well-formed XHTML so it parses as XML too; text is escaped where it goes in.
public struct HTMLPage {
    public var title: String
    var parts: [String] = []

    public init(title: String) { self.title = title }

    /// `text` with &, <, > and quotes escaped.
    public static func escape(_ text: String) -> String {
        var out = ""
        for c in text {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            default: out.append(c)
            }
        }
        return out
    }

    public mutating func heading(_ text: String, level: Int = 2) { parts.append("<h\(level)>\(Self.escape(text))</h\(level)>") }
    public mutating func paragraph(_ text: String, cssClass: String? = nil) {
        parts.append("<p\(cssClass.map { " class=\"\($0)\"" } ?? "")>\(Self.escape(text))</p>")
    }
    /// Markup built by the report code itself (tables, images, SVG), added as it is.
    public mutating func markup(_ html: String) { parts.append(html) }
    public mutating func preformatted(_ text: String) { parts.append("<pre>\(Self.escape(text))</pre>") }

    public var html: String {
        """
        <!DOCTYPE html>
        <html xmlns="http://www.w3.org/1999/xhtml" lang="en">
        <head>
        <meta charset="utf-8"/>
        <title>\(Self.escape(title))</title>
        <style>
        body { font-family: sans-serif; margin: 1.5em; color: #222; background: #fafafa; }
        h1 { font-size: 1.4em; } h2 { font-size: 1.15em; margin-top: 1.6em; }
        table { border-collapse: collapse; margin: 0.6em 0; background: #fff; }
        th, td { border: 1px solid #ccc; padding: 0.25em 0.6em; text-align: right; vertical-align: middle; }
        th { background: #eee; cursor: pointer; text-align: left; } td.text { text-align: left; }
        td.bad { background: #fde0e0; } td.fail { color: #a00; text-align: left; white-space: pre-wrap; }
        span.swatch { display: inline-block; width: 0.9em; height: 0.9em; margin-right: 0.4em; vertical-align: middle; }
        img.montage { max-width: 640px; image-rendering: pixelated; } img.thumb { max-width: 360px; }
        pre { background: #fff; border: 1px solid #ccc; padding: 0.6em; overflow-x: auto; }
        p.note { color: #555; } svg { background: #fff; border: 1px solid #ccc; margin: 0.3em 0.6em 0.3em 0; }
        </style>
        </head>
        <body>
        <h1>\(Self.escape(title))</h1>
        \(parts.joined(separator: "\n"))
        <script>
        //<![CDATA[
        document.querySelectorAll("table.sortable th").forEach(function (th) {
          th.addEventListener("click", function () {
            var body = th.closest("table").tBodies[0], column = th.cellIndex, up = th.dataset.dir !== "up";
            th.dataset.dir = up ? "up" : "down";
            Array.from(body.rows).sort(function (a, b) {
              var x = a.cells[column].dataset.v, y = b.cells[column].dataset.v, nx = parseFloat(x), ny = parseFloat(y);
              var order = (isNaN(nx) || isNaN(ny)) ? String(x).localeCompare(String(y)) : nx - ny;
              return up ? order : -order;
            }).forEach(function (row) { body.appendChild(row); });
          });
        });
        //]]>
        </script>
        </body>
        </html>

        """
    }

    /// Writes the page atomically to `path`.
    public func write(to path: String) throws { try AtomicOutput.write(Data(html.utf8), to: path) }
}

/// A table whose columns sort when their header is clicked (each cell carries its sort value).
public struct HTMLTable {
    /// One cell: its markup (escaped text unless built as markup), sort value, and style class.
    public struct Cell {
        public var markup: String
        public var sortValue: String
        public var cssClass: String?

        public static func text(_ s: String, cssClass: String? = "text") -> Cell { Cell(markup: HTMLPage.escape(s), sortValue: s, cssClass: cssClass) }
        /// A number with `format`; nil shows "n/a" and sorts as `missing`.
        public static func number(_ v: Double?, format: String = "%.4f", missing: Double, bad: Bool = false) -> Cell {
            Cell(markup: v.map { String(format: format, $0) } ?? "n/a", sortValue: String(v ?? missing), cssClass: bad ? "bad" : nil)
        }
    }

    public var headers: [String]
    public var rows: [[Cell]] = []

    public init(headers: [String]) { self.headers = headers }

    public var html: String {
        func attributes(_ c: Cell) -> String {
            " data-v=\"\(HTMLPage.escape(c.sortValue))\"" + (c.cssClass.map { " class=\"\($0)\"" } ?? "")
        }
        let head = "<thead><tr>" + headers.map { "<th>\(HTMLPage.escape($0))</th>" }.joined() + "</tr></thead>"
        let body = rows.map { "<tr>" + $0.map { "<td\(attributes($0))>\($0.markup)</td>" }.joined() + "</tr>" }.joined(separator: "\n")
        return "<table class=\"sortable\">\(head)\n<tbody>\n\(body)\n</tbody></table>"
    }
}
