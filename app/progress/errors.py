"""Refusals of the progress domain (R-PRG-1, R-PRG-2, R-PRG-3, R-PRG-5). Stable problem types.

Lesson and course lookups reuse the catalog's slugs (`lesson-not-found`, `course-not-found`) so a
client handles "it does not exist (for you)" the same way everywhere.
"""

from __future__ import annotations

from app.content.errors import CourseNotFound as CourseNotFound  # one type everywhere
from app.content.errors import LessonHasNoVideo as LessonHasNoVideo
from app.content.errors import LessonNotFound as LessonNotFound
from app.kit.errors import Conflict, NotFound, ValidationFailed


class TestLessonCompletesByAttempt(Conflict):
    """R-PRG-2: a test lesson is completed by submitting an attempt, not by marking it."""

    type = "test-lesson-completes-by-attempt"
    title = {
        "ja": "確認テストは解答を送信すると完了します",
        "en": "A test lesson completes when an attempt is submitted",
    }


class LessonNotATest(Conflict):
    type = "lesson-not-a-test"
    title = {
        "ja": "このレッスンは確認テストではありません",
        "en": "This lesson is not a test",
    }
    detail = {
        "ja": "問題は種類が「テスト」のレッスンにのみ登録できます。",
        "en": "Questions belong to lessons of kind `test` only.",
    }


class QuizHasNoQuestions(Conflict):
    type = "quiz-has-no-questions"
    title = {
        "ja": "このテストにはまだ問題がありません",
        "en": "This test has no questions yet",
    }


class QuizAnswerInvalid(ValidationFailed):
    """R-PRG-2: an answer names a question of another test, a choice of another question, the
    same question twice, or several choices for a single-answer question."""

    type = "quiz-answer-invalid"
    title = {"ja": "解答の内容が正しくありません", "en": "The answers are not valid"}
    detail = {
        "ja": "errors に項目ごとの理由があります。",
        "en": "See errors for the reason per field.",
    }


class QuizQuestionInvalid(ValidationFailed):
    type = "quiz-question-invalid"
    title = {"ja": "問題の内容が正しくありません", "en": "The question is not valid"}
    detail = {
        "ja": "errors に項目ごとの理由があります。",
        "en": "See errors for the reason per field.",
    }


class QuizQuestionNotFound(NotFound):
    type = "quiz-question-not-found"
    title = {"ja": "問題が見つかりません", "en": "Question not found"}


class QuizQuestionAnswered(Conflict):
    """Past attempts were graded against these choices; changing them would rewrite history."""

    type = "quiz-question-answered"
    title = {
        "ja": "解答済みの問題の選択肢は変更できません",
        "en": "The choices of an answered question cannot be changed",
    }
    detail = {
        "ja": "問題を削除して新しい問題を作成してください(過去の解答履歴は残ります)。",
        "en": "Delete the question and create a new one; past attempts keep their history.",
    }


class QuizAttemptNotFound(NotFound):
    type = "quiz-attempt-not-found"
    title = {"ja": "解答履歴が見つかりません", "en": "Attempt not found"}
