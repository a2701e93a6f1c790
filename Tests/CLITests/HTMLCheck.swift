import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif

/// Parses a report page as XML (it is written as XHTML) and collects what the tests look at: the files it refers
/// to (src and href), table rows, SVG circles and the first parse error.
final class HTMLCheck: NSObject, XMLParserDelegate {
    private(set) var references: [String] = []
    private(set) var rows = 0, circles = 0, images = 0
    private(set) var error: String?
    private(set) var text = ""

    init(path: String) throws {
        super.init()
        let parser = XMLParser(data: try Data(contentsOf: URL(fileURLWithPath: path)))
        parser.delegate = self
        if !parser.parse() { error = error ?? parser.parserError.map { "\($0)" } ?? "parse failed" }
    }

    func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?,
                attributes: [String: String] = [:]) {
        for key in ["src", "href"] { if let v = attributes[key] { references.append(v) } }
        switch name {
        case "tr": rows += 1
        case "circle": circles += 1
        case "img": images += 1
        default: break
        }
    }

    func parser(_ parser: XMLParser, foundCharacters string: String) { text += string }

    func parser(_ parser: XMLParser, parseErrorOccurred parseError: Error) {
        error = "line \(parser.lineNumber): \(parseError)"
    }
}
