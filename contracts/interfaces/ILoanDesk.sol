// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

/// @title ILoanDesk
/// @notice Loans against receivable certificates, granted on application. A holder pledges certificate units
///         into the desk's custody and asks one financier (or any) for a principal; the lender funds it in one
///         transaction; the borrower repays on demand; once the certificate's root closes, the units' payout
///         repays the lender first and the borrower gets the rest. A pledge is not a sale.
interface ILoanDesk {
    /// @notice `borrower` pledged `units` of `certId` and asked `lender` (zero: any active financier) for
    ///         `principal` at `annualRateBps`, fundable until `expiry`.
    event LoanRequested(
        uint256 indexed loanId,
        address indexed borrower,
        uint256 indexed certId,
        uint256 units,
        uint256 principal,
        uint256 annualRateBps,
        address lender,
        uint64 expiry
    );
    /// @notice The borrower withdrew an unfunded request; its units went back (or, the root closed, were settled
    ///         to it, with a `LoanSettled` paying it the whole payout).
    event LoanRequestCancelled(uint256 indexed loanId);
    /// @notice `lender` paid `principal` to the borrower; interest runs from now.
    event LoanFunded(uint256 indexed loanId, address indexed lender, uint256 principal);
    /// @notice `payer` paid `amount` to the lender (interest first, then principal); `remainingDebt` is left.
    event LoanRepaid(uint256 indexed loanId, address indexed payer, uint256 amount, uint256 remainingDebt);
    /// @notice The loan's units were redeemed for `payout`: `toLender` to the lender, `toBorrower` to the borrower.
    event LoanSettled(uint256 indexed loanId, uint256 payout, uint256 toLender, uint256 toBorrower);
    /// @notice The token refused a payment of `amount` to `payee` (a lender's repayment or share, a borrower's
    ///         remainder) for loan `loanId`: the desk holds it, owed to `payee` until it calls `withdraw`. The
    ///         loan's events count it as paid to `payee`.
    event PaymentHeld(uint256 indexed loanId, address indexed payee, uint256 amount);
    /// @notice `payee` withdrew `amount` the desk held for it, paid to `to`.
    event PaymentWithdrawn(address indexed payee, address indexed to, uint256 amount);

    /// @notice The certificate contract names `named` as its loan desk, not this one: deploy the desk at that address.
    error NotTheCertificatesLoanDesk(address certificates, address named);
    /// @notice The certificate contract's escrow is `named`, not the escrow given.
    error NotTheCertificatesEscrow(address certificates, address named);
    /// @notice No loan has id `loanId`.
    error UnknownLoan(uint256 loanId);
    /// @notice The loan is in `state`, in which this action is not possible.
    error InvalidLoanState(uint256 loanId, uint8 state);
    /// @notice Only the loan's borrower may do this; `caller` is not it.
    error NotBorrower(uint256 loanId, address caller);
    /// @notice The request names `lender`; `caller` is another financier.
    error NotNamedLender(uint256 loanId, address lender, address caller);
    /// @notice The request could be funded until `expiry` only.
    error LoanRequestExpired(uint256 loanId, uint64 expiry);
    /// @notice A loan pledges at least one unit.
    error InvalidUnits(uint256 units);
    /// @notice The principal must be positive and at most the units pledged (one unit pays one token unit).
    error InvalidPrincipal(uint256 principal, uint256 units);
    /// @notice The annual rate exceeds the desk's maximum.
    error InvalidRate(uint256 annualRateBps, uint256 maxRateBps);
    /// @notice The request's expiry must lie in the future.
    error ExpiryNotInFuture(uint64 expiry, uint256 timestamp);
    /// @notice The certificate has reached its maturity: no new loan against it.
    error CertificateMatured(uint256 certId, uint64 maturity);
    /// @notice The interest to maturity of the principal asked would not fit the desk's 104-bit accounting.
    error LoanTooLarge(uint256 principal, uint256 interestToMaturity);
    /// @notice A repayment of zero.
    error InvalidAmount(uint256 amount);
    /// @notice `account` has no held payment to withdraw.
    error NothingOwed(address account);
    /// @notice The desk takes certificates only from its own `requestLoan`: `token` / `operator` tried otherwise.
    error UnsolicitedTransfer(address token, address operator);

    /// @notice Pledges `units` of the caller's `certId` (moved into the desk's custody now) and asks for a loan.
    /// @dev The caller must be an active member and have called `setApprovalForAll(loanDesk, true)`.
    /// @param certId the certificate pledged
    /// @param units how many of the caller's units of `certId` to pledge (> 0)
    /// @param principal the amount asked, `0 < principal <= units`
    /// @param annualRateBps simple annual interest rate in basis points
    /// @param lender the one financier asked, or the zero address for any active financier
    /// @param expiry until when (exclusive) the request can be funded
    /// @return loanId the new loan's id (ids start at 1)
    function requestLoan(
        uint256 certId,
        uint256 units,
        uint256 principal,
        uint256 annualRateBps,
        address lender,
        uint64 expiry
    ) external returns (uint256 loanId);

    /// @notice The borrower withdraws an unfunded request: its units go back, or their payout if the root closed.
    /// @param loanId the request
    function cancelLoanRequest(uint256 loanId) external;

    /// @notice An active financier (the named lender, if any) pays the principal to the borrower.
    /// @param loanId the request funded
    function fundLoan(uint256 loanId) external;

    /// @notice Pays up to `amount` of the loan's debt (interest first), from the caller to the lender.
    /// @dev Pulls `min(amount, debt)`; at zero debt the units go back to the borrower (or their payout, if the
    ///      root closed).
    /// @param loanId the funded loan
    /// @param amount the most the caller pays
    /// @return remainingDebt the debt left after this payment
    function repayLoan(uint256 loanId, uint256 amount) external returns (uint256 remainingDebt);

    /// @notice After the root closed: redeems the loan's units, pays the lender `min(debt, payout)`, the borrower
    ///         the rest.
    /// @param loanId the funded loan
    function settleLoan(uint256 loanId) external;

    /// @notice Pays the caller everything the desk holds for it (payments the token refused earlier); never
    ///         stopped by pause or suspension.
    /// @dev Pays the caller itself, never another address: a payee the token blocks waits until it is unblocked
    ///      (the desk does not route around the token's own rules).
    /// @return amount what was paid
    function withdraw() external returns (uint256 amount);

    /// @notice What the desk holds for `account`: payments to it that the token refused, not yet withdrawn.
    /// @param account a lender or borrower
    /// @return the amount owed
    function owed(address account) external view returns (uint256);

    /// @notice A loan's terms and state.
    /// @param loanId the loan
    /// @return borrower who pledged
    /// @return lender the named lender, or once funded the financier that funded
    /// @return certId the certificate pledged
    /// @return units the units pledged
    /// @return principal the principal agreed (not what is outstanding: see `debt`)
    /// @return annualRateBps the annual rate in basis points
    /// @return fundedAt when it was funded (0 before)
    /// @return state 0 none, 1 requested, 2 funded, 3 repaid (units released), 4 settled, 5 cancelled
    function loan(uint256 loanId)
        external
        view
        returns (
            address borrower,
            address lender,
            uint256 certId,
            uint256 units,
            uint256 principal,
            uint256 annualRateBps,
            uint64 fundedAt,
            uint8 state
        );

    /// @notice Principal outstanding plus interest accrued and unpaid, now; 0 unless the loan is funded.
    /// @param loanId the loan
    /// @return the debt
    function debt(uint256 loanId) external view returns (uint256);

    /// @notice Principal outstanding and unpaid interest, now; both 0 unless the loan is funded.
    /// @param loanId the loan
    /// @return principalOutstanding the principal not yet repaid
    /// @return interest the interest accrued and not yet paid
    function debtParts(uint256 loanId) external view returns (uint256 principalOutstanding, uint256 interest);

    /// @notice The desk's pooled accounting of `certId` (see the contract's settlement rule). An id pledged by one
    ///         loan at a time is not counted here (`units` 0, that loan's units being the desk's whole balance);
    ///         from a second live loan on, `units` counts the units of the id's unsettled loans.
    /// @param certId the certificate
    /// @return units the counted units of unsettled loans (see above)
    /// @return payout once redeemed, the part of the payout those loans have not taken yet
    /// @return redeemed whether the pool has been redeemed and has loans left to take their share
    function custody(uint256 certId) external view returns (uint256 units, uint256 payout, bool redeemed);

    /// @notice Number of loans ever requested (ids are 1..count).
    /// @return the count
    function loanCount() external view returns (uint256);

    /// @notice The highest annual rate a request may ask, in basis points.
    /// @return the maximum rate
    function maxRateBps() external pure returns (uint256);

    /// @notice The certificate contract whose units are pledged.
    /// @return its address
    function certificates() external view returns (address);

    /// @notice The settlement escrow that redeems pledged units.
    /// @return its address
    function escrow() external view returns (address);

    /// @notice The payment token loans are made in.
    /// @return its address
    function token() external view returns (address);
}
