import Foundation
import Testing
@testable import Imaging

/// The resampling under exemplar synthesis: SliceTransform's inverse, bilinear and nearest warps on known moves,
/// and the Gaussian blur.
@Suite struct SliceWarpTests {
    static func ramp(_ w: Int, _ h: Int) -> ImageSlice {
        ImageSlice(width: w, height: h, pixels: (0..<(w * h)).map { Float($0 % w) * 0.1 + Float($0 / w) })
    }

    @Test func theIdentityLeavesTheSliceAsItIs() {
        let slice = Self.ramp(7, 5)
        let identity = SliceTransform(center: (3, 2), target: (3, 2))
        #expect(SliceWarp.image(slice, identity, width: 7, height: 5, fill: -1).pixels == slice.pixels)
        let mask = slice.pixels.map { $0 > 2 }
        #expect(SliceWarp.mask(mask, width: 7, height: 5, identity, width: 7, height: 5) == mask)
    }

    @Test func aQuarterTurnAndAFlipMovePixelsWhereTheyShould() {
        // 5x5 about the centre (2, 2), a quarter turn: every output pixel holds the source pixel `source` names (exact
        // at whole pixels), and the top middle comes from the left middle.
        let slice = Self.ramp(5, 5)
        let turn = SliceTransform(rotation: .pi / 2, center: (2, 2), target: (2, 2))
        let out = SliceWarp.image(slice, turn, width: 5, height: 5, fill: -1)
        for y in 0..<5 {
            for x in 0..<5 {
                let s = turn.source(x: Double(x), y: Double(y))
                let (sx, sy) = (Int(s.x.rounded()), Int(s.y.rounded()))
                #expect(abs(out.pixels[y * 5 + x] - slice.pixels[sy * 5 + sx]) < 1e-5, "(\(x), \(y))")
            }
        }
        let top = turn.source(x: 2, y: 0)
        #expect(abs(top.x) < 1e-12 && abs(top.y - 2) < 1e-12, "the output's top middle comes from the source's left middle")
        let flip = SliceTransform(flip: true, center: (2, 2), target: (2, 2))
        let flipped = SliceWarp.image(slice, flip, width: 5, height: 5, fill: -1)
        for y in 0..<5 { for x in 0..<5 { #expect(flipped.pixels[y * 5 + x] == slice.pixels[y * 5 + 4 - x]) } }
    }

    @Test func scalingAndMovingFollowTheCentre() {
        let move = SliceTransform(scale: 2, rotation: 0.3, flip: true, center: (10, 12), target: (30, 25))
        let back = move.source(x: 30, y: 25)
        #expect(abs(back.x - 10) < 1e-12 && abs(back.y - 12) < 1e-12, "the centre lands on the target")
        // one output pixel away from the target is half a pixel away in the source (scale 2)
        let near = move.source(x: 31, y: 25)
        #expect(abs(((near.x - 10) * (near.x - 10) + (near.y - 12) * (near.y - 12)).squareRoot() - 0.5) < 1e-12)
        // bilinear on a linear ramp is exact inside the source
        let slice = Self.ramp(40, 40)
        let out = SliceWarp.image(slice, move, width: 40, height: 40, fill: -1)
        let p = move.source(x: 33, y: 27)
        #expect(abs(Double(out.pixels[27 * 40 + 33]) - (p.x * 0.1 + p.y)) < 1e-4)
        var outside = 0
        for q in out.pixels.indices {
            let s = move.source(x: Double(q % 40), y: Double(q / 40))
            if s.x < -1 || s.y < -1 || s.x > 40 || s.y > 40 { outside += 1; #expect(out.pixels[q] == -1, "outside the source: the fill") }
        }
        #expect(outside > 0)
    }

    @Test func blurKeepsConstantsAndTheMeanAndSpreadsAPoint() {
        let constant = ImageSlice(width: 9, height: 8, pixels: [Float](repeating: 0.4, count: 72))
        #expect(GaussianBlur.blur(constant, sigma: 1.5).pixels.allSatisfy { abs($0 - 0.4) < 1e-6 })
        var point = [Float](repeating: 0, count: 21 * 21)
        point[10 * 21 + 10] = 1
        let spread = GaussianBlur.blur(ImageSlice(width: 21, height: 21, pixels: point), sigma: 1).pixels
        #expect(abs(spread.reduce(0, +) - 1) < 1e-5, "away from the edges the sum is kept")
        #expect(abs(spread[10 * 21 + 11] / spread[10 * 21 + 10] - Float(exp(-0.5))) < 1e-5, "neighbour / centre = exp(-1/2) for sigma 1")
        #expect(GaussianBlur.blur(constant, sigma: 0).pixels == constant.pixels)
    }
}
