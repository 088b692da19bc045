"""Japanese (and English) email templates (R-NTF-1).

Each template is a subject and a plain-text body per language, with `{placeholders}` filled from
the context given to `enqueue_email` (`placeholders(name)` lists them). Every template also
receives `{service_name}` and `{support_footer}`. Add new templates here; the key is the stable
template name stored in the outbox. R-NTF-1's list maps to: registration_complete,
email_verification, email_change_* (verification and change), password_reset (and
password_reset_completed, password_changed: what happened to the sessions differs), trial_ending,
charge_succeeded (order), charge_failed, cancellation_confirmed, report_graded,
question_answered, certificate_issued, report_reminder, invoice_issued, account_suspended.
Beyond that list: account_withdrawn / account_withdrawn_managed (退会, R-ID-9) and rejoin_link /
rejoin_complete (rejoining after withdrawal, R-SUB-11).
"""

from __future__ import annotations

from dataclasses import dataclass
from string import Formatter


@dataclass(frozen=True)
class EmailTemplate:
    subject: dict[str, str]
    body: dict[str, str]


SERVICE_NAME = {"ja": "学びオンライン", "en": "Manabi Online"}
FOOTER = {
    "ja": "※このメールは送信専用アドレスから送信しています。\n学びオンライン事務局",
    "en": "This message was sent from a send-only address.\nManabi Online support office",
}

TEMPLATES: dict[str, EmailTemplate] = {
    # R-ID-1: registration completes by sending this email; it carries the verification link.
    "registration_complete": EmailTemplate(
        subject={
            "ja": "【{service_name}】会員登録完了のお知らせ",
            "en": "[{service_name}] Your registration is complete",
        },
        body={
            "ja": "{name} 様\n\n{service_name}への会員登録が完了しました。\n"
            "以下のリンクからメールアドレスの確認をお願いいたします(有効期限: {expires_at})。\n\n{verify_url}\n\n{support_footer}",
            "en": "Dear {name},\n\nYour registration with {service_name} is complete.\n"
            "Please confirm your email address with the link below (valid until {expires_at}).\n\n{verify_url}\n\n{support_footer}",
        },
    ),
    "email_verification": EmailTemplate(
        subject={
            "ja": "【{service_name}】メールアドレスの確認",
            "en": "[{service_name}] Confirm your email address",
        },
        body={
            "ja": "{name} 様\n\n以下のリンクからメールアドレスの確認をお願いいたします(有効期限: {expires_at})。\n\n{verify_url}\n\n{support_footer}",
            "en": "Dear {name},\n\nPlease confirm your email address (valid until {expires_at}).\n\n{verify_url}\n\n{support_footer}",
        },
    ),
    # R-ID-5
    "password_reset": EmailTemplate(
        subject={
            "ja": "【{service_name}】パスワード再設定のご案内",
            "en": "[{service_name}] Reset your password",
        },
        body={
            "ja": "{name} 様\n\nパスワード再設定のお申し込みを受け付けました。\n"
            "以下のリンクから新しいパスワードを設定してください(有効期限: {expires_at}、1回のみ有効)。\n\n{reset_url}\n\n"
            "お心当たりのない場合は、このメールを破棄してください。\n\n{support_footer}",
            "en": "Dear {name},\n\nWe received a request to reset your password.\n"
            "Set a new password with the link below (valid once, until {expires_at}).\n\n{reset_url}\n\n"
            "If you did not ask for this, ignore this message.\n\n{support_footer}",
        },
    ),
    # R-ID-4: changed while signed in (/me/password): the session used for the change stays
    # signed in, every other one ends.
    "password_changed": EmailTemplate(
        subject={
            "ja": "【{service_name}】パスワード変更のお知らせ",
            "en": "[{service_name}] Your password was changed",
        },
        body={
            "ja": "{name} 様\n\nパスワードが変更されました。変更を行った端末はログインしたままです。"
            "その他の端末ではログアウトしましたので、新しいパスワードで再度ログインしてください。\n"
            "お心当たりのない場合は、至急パスワードを再設定のうえ事務局までご連絡ください。\n\n{support_footer}",
            "en": "Dear {name},\n\nYour password was changed. The device used for the change stays "
            "signed in; every other device was signed out and needs the new password.\n"
            "If this was not you, reset your password and contact us immediately.\n\n{support_footer}",
        },
    ),
    # R-ID-5: set with an emailed reset link: every session ends.
    "password_reset_completed": EmailTemplate(
        subject={
            "ja": "【{service_name}】パスワード再設定完了のお知らせ",
            "en": "[{service_name}] Your password was reset",
        },
        body={
            "ja": "{name} 様\n\nパスワードの再設定が完了しました。安全のため、すべての端末でログアウトしています。"
            "新しいパスワードで再度ログインしてください。\n"
            "お心当たりのない場合は、至急事務局までご連絡ください。\n\n{support_footer}",
            "en": "Dear {name},\n\nYour password was reset. For your safety every device was signed "
            "out; log in again with the new password.\n"
            "If this was not you, contact us immediately.\n\n{support_footer}",
        },
    ),
    # R-ID-6: sent to the new address.
    "email_change_confirm": EmailTemplate(
        subject={
            "ja": "【{service_name}】メールアドレス変更の確認",
            "en": "[{service_name}] Confirm your new email address",
        },
        body={
            "ja": "{name} 様\n\nメールアドレスの変更を受け付けました。以下のリンクから変更を確定してください"
            "(有効期限: {expires_at})。\n\n{confirm_url}\n\n{support_footer}",
            "en": "Dear {name},\n\nConfirm the change of your email address with the link below "
            "(valid until {expires_at}).\n\n{confirm_url}\n\n{support_footer}",
        },
    ),
    # R-ID-6: the old address is told when a change is requested and when it is done.
    "email_change_requested_notice": EmailTemplate(
        subject={
            "ja": "【{service_name}】メールアドレス変更のお申し込み",
            "en": "[{service_name}] An email change was requested",
        },
        body={
            "ja": "{name} 様\n\nご登録のメールアドレスを別のアドレスへ変更するお申し込みがありました。\n"
            "お心当たりのない場合は、パスワードを変更のうえ事務局までご連絡ください。\n\n{support_footer}",
            "en": "Dear {name},\n\nSomeone asked to move your account to another email address.\n"
            "If this was not you, change your password and contact us.\n\n{support_footer}",
        },
    ),
    "email_changed_notice": EmailTemplate(
        subject={
            "ja": "【{service_name}】メールアドレス変更完了のお知らせ",
            "en": "[{service_name}] Your email address was changed",
        },
        body={
            "ja": "{name} 様\n\nご登録のメールアドレスの変更が完了しました。今後のご連絡は新しいアドレスへお送りします。\n"
            "お心当たりのない場合は、至急事務局までご連絡ください。\n\n{support_footer}",
            "en": "Dear {name},\n\nYour account's email address was changed; we will write to the new address from now on.\n"
            "If this was not you, contact us immediately.\n\n{support_footer}",
        },
    ),
    # R-ID-9
    "account_suspended": EmailTemplate(
        subject={
            "ja": "【{service_name}】会員資格停止のお知らせ",
            "en": "[{service_name}] Your account was suspended",
        },
        body={
            "ja": "{name} 様\n\n利用規約に基づき、会員資格を停止しました。\n理由: {reason}\n\n{support_footer}",
            "en": "Dear {name},\n\nYour account was suspended under the terms of use.\nReason: {reason}\n\n{support_footer}",
        },
    ),
    # R-ID-9 退会 of an individual member, who may come back online (seed 002 総則第9条第1項;
    # R-SUB-11): the data is kept and rejoining restores the same account.
    "account_withdrawn": EmailTemplate(
        subject={
            "ja": "【{service_name}】退会手続き完了のお知らせ",
            "en": "[{service_name}] Your account was closed",
        },
        body={
            "ja": "{name} 様\n\n退会の手続きが完了しました。これまでのご利用ありがとうございました。\n\n"
            "学習履歴などのデータは削除せずに保管しています。再度ご利用になる場合は、以下のページで"
            "このメールアドレスを入力し、再入会のお手続き(利用規約への同意と新しいパスワードの設定)を"
            "行ってください。以前のアカウントを、これまでの学習履歴とともに再びご利用いただけます。\n\n"
            "{rejoin_url}\n\n{support_footer}",
            "en": "Dear {name},\n\nYour account was closed. Thank you for learning with us.\n\n"
            "Your learning history is kept, not deleted. To come back, enter this email address on "
            "the page below and rejoin (you accept the terms of use and set a new password): you "
            "get your previous account back, with your learning history.\n\n"
            "{rejoin_url}\n\n{support_footer}",
        },
    ),
    # R-ID-9 退会 of an account that cannot rejoin online: staff-side and organization accounts,
    # and accounts withdrawn while suspended (seed 002 総則第9条第1項: not for rule violators).
    "account_withdrawn_managed": EmailTemplate(
        subject={
            "ja": "【{service_name}】退会手続き完了のお知らせ",
            "en": "[{service_name}] Your account was closed",
        },
        body={
            "ja": "{name} 様\n\n退会の手続きが完了しました。これまでのご利用ありがとうございました。\n"
            "再度ご利用になる場合は、事務局(組織でご利用の場合は組織のご担当者)までお問い合わせください。"
            "\n\n{support_footer}",
            "en": "Dear {name},\n\nYour account was closed. Thank you for learning with us.\n"
            "To use the service again, contact the support office (or your organization's "
            "administrator).\n\n{support_footer}",
        },
    ),
    # Rejoining after withdrawal (seed 002 総則第9条第1項, R-SUB-11): the link, sent on request.
    "rejoin_link": EmailTemplate(
        subject={
            "ja": "【{service_name}】再入会のお手続きのご案内",
            "en": "[{service_name}] Rejoin {service_name}",
        },
        body={
            "ja": "{name} 様\n\n再入会のお申し込みを受け付けました。\n"
            "以下のリンクから、最新の利用規約をご確認のうえ新しいパスワードを設定してください"
            "(有効期限: {expires_at}、1回のみ有効)。お手続きが完了すると、以前のアカウントを"
            "これまでの学習履歴とともに再びご利用いただけます。\n\n{rejoin_url}\n\n"
            "お心当たりのない場合は、このメールを破棄してください。\n\n{support_footer}",
            "en": "Dear {name},\n\nWe received your request to rejoin.\n"
            "Read the current terms of use and set a new password with the link below (valid "
            "once, until {expires_at}). You then get your previous account back, with your "
            "learning history.\n\n{rejoin_url}\n\n"
            "If you did not ask for this, ignore this message.\n\n{support_footer}",
        },
    ),
    "rejoin_complete": EmailTemplate(
        subject={
            "ja": "【{service_name}】再入会手続き完了のお知らせ",
            "en": "[{service_name}] Welcome back",
        },
        body={
            "ja": "{name} 様\n\n再入会の手続きが完了しました。またのご利用ありがとうございます。\n"
            "以前のアカウントを、新しいパスワードでご利用いただけます。\n"
            "お心当たりのない場合は、至急事務局までご連絡ください。\n\n{support_footer}",
            "en": "Dear {name},\n\nYou rejoined: your previous account is active again with your "
            "new password. Welcome back.\n"
            "If this was not you, contact us immediately.\n\n{support_footer}",
        },
    ),
    # R-ENR-6: an essay report was graded (the grader's identity is never shown, R-ENR-14).
    "report_graded": EmailTemplate(
        subject={
            "ja": "【{service_name}】レポート採点結果のお知らせ",
            "en": "[{service_name}] Your report was graded",
        },
        body={
            "ja": "{name} 様\n\n「{course_title}」の「{unit_title}」の採点が完了しました。\n"
            "得点: {score}点\n\n詳細は以下からご確認ください。\n\n{report_url}\n\n{support_footer}",
            "en": 'Dear {name},\n\nYour report "{unit_title}" in "{course_title}" was graded.\n'
            "Score: {score}\n\nSee the details below.\n\n{report_url}\n\n{support_footer}",
        },
    ),
    # R-QST-8
    "question_answered": EmailTemplate(
        subject={
            "ja": "【{service_name}】ご質問への回答のお知らせ",
            "en": "[{service_name}] Your question was answered",
        },
        body={
            "ja": "{name} 様\n\nご質問「{question_title}」に回答いたしました。\n"
            "以下からご確認ください。\n\n{question_url}\n\n{support_footer}",
            "en": 'Dear {name},\n\nYour question "{question_title}" has an answer.\n'
            "Read it below.\n\n{question_url}\n\n{support_footer}",
        },
    ),
    # R-QST-2 / R-QST-8: a question declined as out of scope, with the staff's reason.
    "question_declined": EmailTemplate(
        subject={
            "ja": "【{service_name}】ご質問への対応について",
            "en": "[{service_name}] About your question",
        },
        body={
            "ja": "{name} 様\n\nご質問「{question_title}」は、質問サービスの対象外のため回答いたしかねます。\n"
            "理由: {decline_reason}\n\n{question_url}\n\n{support_footer}",
            "en": 'Dear {name},\n\nYour question "{question_title}" is outside the scope of the '
            "question service and will not be answered.\nReason: {decline_reason}\n\n"
            "{question_url}\n\n{support_footer}",
        },
    ),
    # R-ENR-13: {certificate_title} is 修了証書 / 優秀修了証書 (or Certificate of completion / excellence).
    "certificate_issued": EmailTemplate(
        subject={
            "ja": "【{service_name}】{certificate_title}発行のお知らせ",
            "en": "[{service_name}] Your {certificate_title} is ready",
        },
        body={
            "ja": "{name} 様\n\n「{course_title}」の{certificate_title}を発行しました。\n"
            "証書番号: {certificate_number}\n\n以下からダウンロードいただけます。\n\n"
            "{certificate_url}\n\n{support_footer}",
            "en": 'Dear {name},\n\nYour {certificate_title} for "{course_title}" was issued.\n'
            "Certificate number: {certificate_number}\n\nDownload it below.\n\n"
            "{certificate_url}\n\n{support_footer}",
        },
    ),
    # R-ENR-9 / R-ENR-10 / R-ENR-11: the enrollment's final result ({result_title}: 修了 / 優秀修了 / 未修了).
    "completion_result": EmailTemplate(
        subject={
            "ja": "【{service_name}】修了判定のお知らせ",
            "en": "[{service_name}] Your course result",
        },
        body={
            "ja": "{name} 様\n\n「{course_title}」の修了判定の結果は「{result_title}」です。\n"
            "詳細は以下からご確認ください。\n\n{enrollments_url}\n\n{support_footer}",
            "en": 'Dear {name},\n\nYour result in "{course_title}": {result_title}.\n'
            "See the details below.\n\n{enrollments_url}\n\n{support_footer}",
        },
    ),
    # R-ENR-1…4 (app.enrollments.emails): an application was accepted. To the learner and, for an
    # organization's enrollment, its training manager ({learner_name} says whose it is).
    # {excellent_line} / {late_delivery_line} are whole lines ending in a line break, or empty.
    "enrollment_accepted": EmailTemplate(
        subject={
            "ja": "【{service_name}】受講申込受付のお知らせ:{course_title}",
            "en": "[{service_name}] Application accepted: {course_title}",
        },
        body={
            "ja": "{name} 様\n\n下記のとおり、通信教育の受講のお申込みを受け付けました。\n\n"
            "受講者: {learner_name} 様\nコース: {course_title}\n開講日: {start_on}\n"
            "在籍期間: {start_on} 〜 {enrollment_end_on}\n{excellent_line}\n"
            "教材は、お申込みの受理から7営業日程度で発送いたします(発送予定日: {materials_ship_by})。\n"
            "{late_delivery_line}"
            "すべてのレポートが在籍期間の最終日までに当社に届くよう、計画的にご提出ください。\n\n"
            "お申込みの内容は以下からご確認いただけます。\n\n{enrollment_url}\n\n{support_footer}",
            "en": "Dear {name},\n\nWe have accepted the following correspondence-course application.\n\n"
            "Learner: {learner_name}\nCourse: {course_title}\nStart date: {start_on}\n"
            "Enrollment period: {start_on} to {enrollment_end_on}\n{excellent_line}\n"
            "The materials ship about 7 business days after acceptance (expected by "
            "{materials_ship_by}).\n{late_delivery_line}"
            "Every report must reach us by the last day of the enrollment period.\n\n"
            "See the application below.\n\n{enrollment_url}\n\n{support_footer}",
        },
    ),
    # R-ENR-5: an application was cancelled. {reason_line}: the staff's reason when the company
    # was at fault (a whole line ending in a line break), empty otherwise.
    "enrollment_cancelled": EmailTemplate(
        subject={
            "ja": "【{service_name}】受講申込取消しのお知らせ:{course_title}",
            "en": "[{service_name}] Application cancelled: {course_title}",
        },
        body={
            "ja": "{name} 様\n\n下記の受講のお申込みは、取消し(キャンセル)となりました。\n\n"
            "受講者: {learner_name} 様\nコース: {course_title}\n取消日: {cancelled_on}\n"
            "{reason_line}\n"
            "このコースのレポートの提出、質問などのご利用はできなくなりました。\n\n"
            "{enrollment_url}\n\n{support_footer}",
            "en": "Dear {name},\n\nThe following application has been cancelled.\n\n"
            "Learner: {learner_name}\nCourse: {course_title}\nCancelled on: {cancelled_on}\n"
            "{reason_line}\n"
            "Reports can no longer be submitted nor questions asked in this course.\n\n"
            "{enrollment_url}\n\n{support_footer}",
        },
    ),
    # R-QST-6: staff confirmed the course's return; no questions from the next day ({closes_on}).
    "enrollment_returned": EmailTemplate(
        subject={
            "ja": "【{service_name}】教材ご返却確認のお知らせ:{course_title}",
            "en": "[{service_name}] Return confirmed: {course_title}",
        },
        body={
            "ja": "{name} 様\n\n「{course_title}」のご返却を確認しました(返却日: {returned_on})。\n"
            "{closes_on} 以降は、このコースへの質問の受付を終了し、コースもご利用いただけなくなります。\n\n"
            "{enrollment_url}\n\n{support_footer}",
            "en": 'Dear {name},\n\nWe have confirmed the return of "{course_title}" '
            "(returned on {returned_on}).\n"
            "From {closes_on} the course takes no more questions and is no longer available.\n\n"
            "{enrollment_url}\n\n{support_footer}",
        },
    ),
    # R-ENR-17: a training manager's leave request awaits the staff's decision.
    "leave_requested": EmailTemplate(
        subject={
            "ja": "【{service_name}】休学申請受付のお知らせ:{course_title}",
            "en": "[{service_name}] Leave of absence requested: {course_title}",
        },
        body={
            "ja": "{name} 様\n\n下記のとおり、休学(在籍期間の延長)の申請を受け付けました。\n\n"
            "受講者: {learner_name} 様\nコース: {course_title}\n理由: {leave_reason}\n"
            "延長期間: {months}か月\n現在の在籍期間の終了日: {enrollment_end_on}\n"
            "承認された場合の終了日: {extended_end_on}\n\n"
            "事務局で証明書類を確認のうえ、承認の可否をあらためてご連絡いたします。"
            "承認されるまで在籍期間は変わりません。\n\n{enrollment_url}\n\n{support_footer}",
            "en": "Dear {name},\n\nWe have received the following request for a leave of absence "
            "(an extension of the enrollment period).\n\n"
            "Learner: {learner_name}\nCourse: {course_title}\nReason: {leave_reason}\n"
            "Extension: {months} month(s)\nCurrent enrollment end: {enrollment_end_on}\n"
            "Enrollment end if granted: {extended_end_on}\n\n"
            "Our support office will check the proof document and let you know whether it is "
            "granted. Until then the enrollment period does not change.\n\n"
            "{enrollment_url}\n\n{support_footer}",
        },
    ),
    # R-ENR-17: the leave was granted; the enrollment now ends on {enrollment_end_on}.
    # {excellent_line}: the unchanged excellent-completion deadline (a whole line) or empty.
    "leave_granted": EmailTemplate(
        subject={
            "ja": "【{service_name}】休学承認のお知らせ:{course_title}",
            "en": "[{service_name}] Leave of absence granted: {course_title}",
        },
        body={
            "ja": "{name} 様\n\n下記のとおり休学を承認し、在籍期間を延長しました。\n\n"
            "受講者: {learner_name} 様\nコース: {course_title}\n延長期間: {months}か月\n"
            "延長前の在籍期間の終了日: {previous_end_on}\n新しい在籍期間の終了日: {enrollment_end_on}\n"
            "{excellent_line}\n"
            "すべてのレポートが新しい終了日までに当社に届くよう、ご提出ください。\n\n"
            "{enrollment_url}\n\n{support_footer}",
            "en": "Dear {name},\n\nThe following leave of absence was granted and the enrollment "
            "period extended.\n\n"
            "Learner: {learner_name}\nCourse: {course_title}\nExtension: {months} month(s)\n"
            "Previous enrollment end: {previous_end_on}\nNew enrollment end: {enrollment_end_on}\n"
            "{excellent_line}\n"
            "Every report must reach us by the new enrollment end.\n\n"
            "{enrollment_url}\n\n{support_footer}",
        },
    ),
    # R-ENR-17: staff declined a leave request, with their reason. {reapply_line}: until when a
    # new request is possible (a whole line), empty once that day has passed.
    "leave_declined": EmailTemplate(
        subject={
            "ja": "【{service_name}】休学申請についてのお知らせ:{course_title}",
            "en": "[{service_name}] About the leave-of-absence request: {course_title}",
        },
        body={
            "ja": "{name} 様\n\n下記の休学(在籍期間の延長)の申請は、承認いたしかねることとなりました。\n\n"
            "受講者: {learner_name} 様\nコース: {course_title}\n申請された延長期間: {months}か月\n"
            "理由: {decline_reason}\n\n"
            "在籍期間の終了日({enrollment_end_on})は変わりません。\n{reapply_line}\n"
            "{enrollment_url}\n\n{support_footer}",
            "en": "Dear {name},\n\nThe following request for a leave of absence (an extension of "
            "the enrollment period) could not be granted.\n\n"
            "Learner: {learner_name}\nCourse: {course_title}\nRequested extension: {months} month(s)\n"
            "Reason: {decline_reason}\n\n"
            "The enrollment still ends on {enrollment_end_on}.\n{reapply_line}\n"
            "{enrollment_url}\n\n{support_footer}",
        },
    ),
    # R-ENR-16: the re-enrollment fee is paid and the new enrollment period is set.
    "re_enrollment_confirmed": EmailTemplate(
        subject={
            "ja": "【{service_name}】再受講お手続き完了のお知らせ:{course_title}",
            "en": "[{service_name}] Re-enrollment confirmed: {course_title}",
        },
        body={
            "ja": "{name} 様\n\n下記のとおり、再受講のお手続きが完了しました。"
            "お手元の教材で、あらためて学習いただけます。\n\n"
            "受講者: {learner_name} 様\nコース: {course_title}\n開講日: {start_on}\n"
            "在籍期間: {start_on} 〜 {enrollment_end_on}\n"
            "注文番号: {order_number}\n再受講料: {amount}\n\n"
            "再受講では優秀修了の認定はありません。"
            "すべてのレポートが在籍期間の最終日までに当社に届くよう、ご提出ください。\n\n"
            "{enrollment_url}\n\n{support_footer}",
            "en": "Dear {name},\n\nThe following re-enrollment is complete: study again with the "
            "materials you already have.\n\n"
            "Learner: {learner_name}\nCourse: {course_title}\nStart date: {start_on}\n"
            "Enrollment period: {start_on} to {enrollment_end_on}\n"
            "Order number: {order_number}\nRe-enrollment fee: {amount}\n\n"
            "A re-enrollment cannot be completed with excellence. Every report must reach us "
            "by the last day of the enrollment period.\n\n"
            "{enrollment_url}\n\n{support_footer}",
        },
    ),
    # R-ENR-18: monthly, to learners with unsubmitted units (レポート提出促進案内).
    "report_reminder": EmailTemplate(
        subject={
            "ja": "【{service_name}】レポート提出のご案内",
            "en": "[{service_name}] Reports waiting for you",
        },
        body={
            "ja": "{name} 様\n\n「{course_title}」で未提出のレポートが {unsubmitted_count} 件あります。\n"
            "在籍期間は {enrollment_ends_on} までです。期限を過ぎると提出できませんので、"
            "計画的な提出をお願いいたします。\n\n{reports_url}\n\n{support_footer}",
            "en": 'Dear {name},\n\nYou have {unsubmitted_count} report(s) not yet submitted in "{course_title}".\n'
            "Your enrollment ends on {enrollment_ends_on}; reports cannot be submitted after that.\n\n"
            "{reports_url}\n\n{support_footer}",
        },
    ),
    # R-B2B-8: monthly invoice to an organization, due at month end.
    "invoice_issued": EmailTemplate(
        subject={
            "ja": "【{service_name}】{billing_month}分 ご請求書発行のお知らせ",
            "en": "[{service_name}] Your invoice for {billing_month}",
        },
        body={
            "ja": "{organization_name}\n{name} 様\n\n{billing_month}分のご請求書を発行しました。\n\n"
            "請求書番号: {invoice_number}\nご請求金額: {total_jpy}円(税込)\nお支払期限: {due_on}\n\n"
            "以下からご確認ください。\n\n{invoice_url}\n\n{support_footer}",
            "en": "{organization_name}\nDear {name},\n\nYour invoice for {billing_month} is ready.\n\n"
            "Invoice number: {invoice_number}\nAmount due: JPY {total_jpy} (tax included)\nDue on: {due_on}\n\n"
            "View it below.\n\n{invoice_url}\n\n{support_footer}",
        },
    ),
    # R-CON-6: a seat freed and the first waitlisted member got it (app.events).
    "event_waitlist_promoted": EmailTemplate(
        subject={
            "ja": "【{service_name}】キャンセル待ちから参加が確定しました",
            "en": "[{service_name}] You have a seat: {event_title}",
        },
        body={
            "ja": "{name} 様\n\nキャンセル待ちをされていた「{event_title}」({starts_at} 開始)に"
            "空きが出たため、参加が確定しました。\n"
            "参加方法(Zoom等の参加リンク)は以下のページでご確認ください。\n\n{event_url}\n\n"
            "ご都合が悪くなった場合は、開始前にお申し込みを取り消してください。"
            "キャンセル待ちの方に順番にお席をお譲りします。\n\n{support_footer}",
            "en": 'Dear {name},\n\nA seat freed up in "{event_title}" (starts {starts_at}) and you '
            "have moved up from the wait list: your place is confirmed.\n"
            "Find the joining link on the page below.\n\n{event_url}\n\n"
            "If you cannot attend, please cancel before the start so the next person on the "
            "wait list gets the seat.\n\n{support_footer}",
        },
    ),
    # R-CON-5 / R-CON-6: staff cancelled an event the member had registered for (app.events).
    "event_cancelled": EmailTemplate(
        subject={
            "ja": "【{service_name}】開催中止のお知らせ:{event_title}",
            "en": "[{service_name}] Cancelled: {event_title}",
        },
        body={
            "ja": "{name} 様\n\nお申し込みいただいていた「{event_title}」({starts_at} 開始予定)は、"
            "誠に勝手ながら開催を中止することとなりました。\n"
            "ご迷惑をおかけし申し訳ございません。お申し込みは取り消されています。\n\n"
            "{event_url}\n\n{support_footer}",
            "en": 'Dear {name},\n\nWe are sorry: "{event_title}" (planned to start {starts_at}) '
            "has been cancelled, and your registration with it.\n\n{event_url}\n\n{support_footer}",
        },
    ),
    # R-NTF-1 / R-SUB-2: the trial ends in 2 days; the first charge follows (app.payments).
    "subscription_trial_ending": EmailTemplate(
        subject={
            "ja": "【{service_name}】無料体験期間は{trial_end_on}で終了します",
            "en": "[{service_name}] Your free trial ends on {trial_end_on}",
        },
        body={
            "ja": "{name} 様\n\n{service_name}の無料体験期間は{trial_end_on}で終了します。\n"
            "お手続きは不要です。{first_charge_on}に月額会員プラン {amount} のお支払いが"
            "Amazon Pay で行われ、以後毎月自動で更新されます。\n"
            "継続されない場合は、{trial_end_on}までに会員情報ページから解約してください。"
            "無料体験期間中の解約で料金が発生することはありません。\n\n{manage_url}\n\n{support_footer}",
            "en": "Dear {name},\n\nYour {service_name} free trial ends on {trial_end_on}.\n"
            "Nothing to do: on {first_charge_on} the monthly membership ({amount}) is charged "
            "through Amazon Pay and renews every month.\n"
            "To stop, cancel from your membership page by {trial_end_on}; cancelling during the "
            "trial costs nothing.\n\n{manage_url}\n\n{support_footer}",
        },
    ),
    # R-NTF-1 / R-SUB-9: a charge succeeded; the order detail is the receipt (no 領収書).
    "subscription_charge_succeeded": EmailTemplate(
        subject={
            "ja": "【{service_name}】月額会員プランのお支払いが完了しました(注文番号 {order_number})",
            "en": "[{service_name}] Payment received (order {order_number})",
        },
        body={
            "ja": "{name} 様\n\n月額会員プランのお支払いが完了しました。\n\n"
            "注文番号: {order_number}\nご利用期間: {period_start_on}〜{period_end_on}\n"
            "お支払い金額: {amount}\nお支払い方法: Amazon Pay\n次回更新日: {next_renewal_on}\n\n"
            "注文の詳細は注文履歴でご確認いただけます(領収書の発行は行っておりません)。\n\n"
            "{orders_url}\n\n{support_footer}",
            "en": "Dear {name},\n\nWe received your membership payment.\n\n"
            "Order number: {order_number}\nPeriod: {period_start_on} to {period_end_on}\n"
            "Amount: {amount}\nPaid with: Amazon Pay\nNext renewal: {next_renewal_on}\n\n"
            "The order detail in your order history is your record (no separate receipts are "
            "issued).\n\n{orders_url}\n\n{support_footer}",
        },
    ),
    # R-NTF-1 / R-SUB-7: a renewal charge failed (first failure, or the last retry failed).
    "subscription_charge_failed": EmailTemplate(
        subject={
            "ja": "【{service_name}】月額会員プランのお支払いができませんでした",
            "en": "[{service_name}] Your membership payment failed",
        },
        body={
            "ja": "{name} 様\n\n月額会員プラン({amount})のお支払いができませんでした。\n"
            "{what_next}\n\nAmazon Pay のお支払い方法をご確認ください:\n{fix_url}\n\n"
            "会員情報: {manage_url}\n\n{support_footer}",
            "en": "Dear {name},\n\nYour monthly membership payment ({amount}) failed.\n"
            "{what_next}\n\nPlease check your payment method on Amazon Pay:\n{fix_url}\n\n"
            "Your membership: {manage_url}\n\n{support_footer}",
        },
    ),
    # R-NTF-1 / R-SUB-4/5: cancellation confirmed, with the last day of access.
    "subscription_canceled": EmailTemplate(
        subject={
            "ja": "【{service_name}】月額会員プランの解約を受け付けました",
            "en": "[{service_name}] Your membership cancellation is confirmed",
        },
        body={
            "ja": "{name} 様\n\n月額会員プランの解約を受け付けました。自動更新は停止され、"
            "今後料金が請求されることはありません。\n"
            "{access_until_on}まで引き続きご利用いただけます。期限前であれば会員情報ページから"
            "いつでも再開できます。\n\n{manage_url}\n\n{support_footer}",
            "en": "Dear {name},\n\nYour membership is cancelled: it will not renew and nothing "
            "more will be charged.\nYou keep access through {access_until_on}; until then you "
            "can resume from your membership page.\n\n{manage_url}\n\n{support_footer}",
        },
    ),
    # R-SUB-9 / SPEC §8: a one-off purchase is paid; the order detail is the receipt.
    "purchase_completed": EmailTemplate(
        subject={
            "ja": "【{service_name}】ご購入ありがとうございます(注文番号 {order_number})",
            "en": "[{service_name}] Thank you for your purchase (order {order_number})",
        },
        body={
            "ja": "{name} 様\n\nご購入のお手続きが完了しました。\n\n"
            "注文番号: {order_number}\n商品: {title}\nお支払い金額: {amount}\n"
            "うちポイント利用: {points_used} ポイント\n{access_line}\n\n"
            "注文の詳細は注文履歴でご確認いただけます(領収書の発行は行っておりません)。\n\n"
            "{orders_url}\n\n{support_footer}",
            "en": "Dear {name},\n\nYour purchase is complete.\n\n"
            "Order number: {order_number}\nProduct: {title}\nAmount: {amount}\n"
            "Paid with points: {points_used} points\n{access_line}\n\n"
            "The order detail in your order history is your record (no separate receipts are "
            "issued).\n\n{orders_url}\n\n{support_footer}",
        },
    ),
    # R-REF-9/10/11, R-ID-12: a refund was executed; cash goes back to Amazon Pay, points as points.
    "purchase_refunded": EmailTemplate(
        subject={
            "ja": "【{service_name}】返金のお知らせ(注文番号 {order_number})",
            "en": "[{service_name}] Your refund (order {order_number})",
        },
        body={
            "ja": "{name} 様\n\n「{title}」の返金手続きを行いました。\n\n"
            "注文番号: {order_number}\n返金額(Amazon Pay へ): {cash}\n"
            "返還ポイント: {points} ポイント{points_expiry}\n\n内訳:\n{breakdown}\n\n"
            "返金はご購入時のお支払い方法(Amazon Pay)に対して行われます。"
            "ポイントは現金では返金されません。\n\n{orders_url}\n\n{support_footer}",
            "en": "Dear {name},\n\nWe have refunded your purchase of \u201c{title}\u201d.\n\n"
            "Order number: {order_number}\nRefunded to Amazon Pay: {cash}\n"
            "Points returned: {points} points{points_expiry}\n\nBreakdown:\n{breakdown}\n\n"
            "The money goes back to the payment method you used (Amazon Pay). Points are never "
            "paid out as cash.\n\n{orders_url}\n\n{support_footer}",
        },
    ),
}


class UnknownTemplate(KeyError):
    pass


class MissingPlaceholder(KeyError):
    """The context lacks a value the template needs (a bug in the caller, caught before commit)."""


# Filled by `render` itself; callers never pass these.
BUILTIN_PLACEHOLDERS = frozenset({"service_name", "support_footer"})


def placeholders(template: str) -> frozenset[str]:
    """Every `{name}` the template uses in any language, besides the built-in ones."""
    spec = TEMPLATES[template]
    texts = [*spec.subject.values(), *spec.body.values()]
    names = {
        field.split(".")[0].split("[")[0]
        for text in texts
        for _, field, _, _ in Formatter().parse(text)
        if field
    }
    return frozenset(names - BUILTIN_PLACEHOLDERS)


def render(template: str, locale: str, context: dict[str, object]) -> tuple[str, str]:
    """Return (subject, body) for a template in `ja` or `en` (anything else falls back to `ja`).

    Values are inserted as text: format numbers and dates before (e.g. `f"{980:,}"`, JST dates).
    """
    try:
        spec = TEMPLATES[template]
    except KeyError as error:
        raise UnknownTemplate(template) from error
    language = locale if locale in spec.subject else "ja"
    values = {"service_name": SERVICE_NAME[language], "support_footer": FOOTER[language], **context}
    try:
        subject = spec.subject[language].format(**values)
        body = spec.body[language].format(**values)
    except KeyError as error:
        missing = sorted(placeholders(template) - values.keys())
        raise MissingPlaceholder(f"{template}: missing {', '.join(missing)}") from error
    # A subject is one header line: a value carrying a line break must not inject headers.
    return " ".join(subject.split()), body
