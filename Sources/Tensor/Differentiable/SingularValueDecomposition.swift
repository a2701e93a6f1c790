import COpenBLAS
import Foundation

/// The thin SVD of a matrix, A = U diag(S) V^T with S descending, by LAPACK's dgesdd (in OpenBLAS), in Double.
public enum SingularValueDecomposition {
    public struct Result: Sendable {
        /// U [rows, k], S [k], V^T [k, columns], k = min(rows, columns).
        public let u: Matrix<Double>, s: [Double], vt: Matrix<Double>
    }

    /// nil when LAPACK reports that it did not converge.
    public static func decompose(_ a: Matrix<Double>) -> Result? {
        // Row-major A [m, n] is column-major A^T [n, m]; dgesdd of A^T = V S U^T hands back, read row-major,
        // V^T in its U output and U in its V^T output.
        let (m, n) = (a.rows, a.columns), k = min(m, n)
        var data = a.values
        var s = [Double](repeating: 0, count: k)
        var uColumnMajor = [Double](repeating: 0, count: n * k), vtColumnMajor = [Double](repeating: 0, count: k * m)
        var iwork = [Int32](repeating: 0, count: 8 * k)
        var (rows, columns, lda, ldu, ldvt, info) = (Int32(n), Int32(m), Int32(n), Int32(n), Int32(k), Int32(0))
        var query = 0.0, lwork = Int32(-1)
        "S".withCString { jobz in
            dgesdd_(jobz, &rows, &columns, &data, &lda, &s, &uColumnMajor, &ldu, &vtColumnMajor, &ldvt, &query, &lwork, &iwork, &info, 1)
        }
        guard info == 0 else { return nil }
        lwork = Int32(query)
        var work = [Double](repeating: 0, count: Int(lwork))
        "S".withCString { jobz in
            dgesdd_(jobz, &rows, &columns, &data, &lda, &s, &uColumnMajor, &ldu, &vtColumnMajor, &ldvt, &work, &lwork, &iwork, &info, 1)
        }
        guard info == 0 else { return nil }
        return Result(u: Matrix(rows: m, columns: k, values: vtColumnMajor), s: s, vt: Matrix(rows: k, columns: n, values: uColumnMajor))
    }
}
