"""Refusals of the catalog (R-CON-1, R-CON-7, R-CON-8). Stable problem types; never reworded."""

from __future__ import annotations

from app.kit.errors import Conflict, NotFound, ValidationFailed


class CourseNotFound(NotFound):
    type = "course-not-found"
    title = {"ja": "コースが見つかりません", "en": "Course not found"}


class LessonNotFound(NotFound):
    type = "lesson-not-found"
    title = {"ja": "レッスンが見つかりません", "en": "Lesson not found"}


class CourseSlugTaken(Conflict):
    type = "course-slug-taken"
    title = {"ja": "このスラッグは既に使われています", "en": "This slug is already in use"}
    detail = {
        "ja": "スラッグ「{slug}」は別のコースで使われています。別のスラッグを指定してください。",
        "en": "Another course uses the slug '{slug}'. Choose another one.",
    }


class CourseHasNoLessons(Conflict):
    """R-CON-8: a published course always has at least one lesson to open."""

    type = "course-has-no-lessons"
    title = {
        "ja": "レッスンのないコースは公開できません",
        "en": "A course without lessons cannot be published",
    }
    detail = {
        "ja": "レッスンを1つ以上追加してから公開してください。",
        "en": "Add at least one lesson before publishing.",
    }


class LastLessonOfPublishedCourse(Conflict):
    type = "last-lesson-of-published-course"
    title = {
        "ja": "公開中のコースの最後のレッスンは削除できません",
        "en": "The last lesson of a published course cannot be deleted",
    }
    detail = {
        "ja": "先にコースを非公開にしてください。",
        "en": "Unpublish the course first.",
    }


class CourseWasPublished(Conflict):
    """Once members could see a course, grants, progress and orders may name it: keep it."""

    type = "course-was-published"
    title = {
        "ja": "一度公開したコースは削除できません",
        "en": "A course that has been published cannot be deleted",
    }
    detail = {
        "ja": "受講履歴や権利付与が残るため、非公開にして運用してください。",
        "en": "Learning history and grants may refer to it; unpublish it instead.",
    }


class CourseInUse(Conflict):
    type = "course-in-use"
    title = {
        "ja": "このコースは参照されているため削除できません",
        "en": "The course is referenced and cannot be deleted",
    }
    detail = {
        "ja": "権利付与などがこのコースを参照しています。",
        "en": "Entitlement grants or other records refer to this course.",
    }


class LessonInUse(Conflict):
    type = "lesson-in-use"
    title = {
        "ja": "このレッスンは参照されているため削除できません",
        "en": "The lesson is referenced and cannot be deleted",
    }
    detail = {
        "ja": "学習履歴などがこのレッスンを参照しています。",
        "en": "Learning history or other records refer to this lesson.",
    }


class LessonInvalid(ValidationFailed):
    """R-CON-1: what a lesson must carry depends on its kind (see `rules.lesson_problems`)."""

    type = "lesson-invalid"
    title = {
        "ja": "レッスンの種類と内容が合っていません",
        "en": "The lesson's content does not fit its kind",
    }
    detail = {
        "ja": "errors に項目ごとの理由があります。",
        "en": "See errors for the reason per field.",
    }


class LessonPositionOutOfRange(ValidationFailed):
    type = "lesson-position-out-of-range"
    title = {"ja": "レッスンの位置が範囲外です", "en": "The lesson position is out of range"}
    detail = {
        "ja": "位置は 0 から {maximum} までで指定してください。",
        "en": "Use a position from 0 to {maximum}.",
    }


class LessonOrderInvalid(ValidationFailed):
    type = "lesson-order-invalid"
    title = {
        "ja": "レッスンの並び順の指定が正しくありません",
        "en": "The lesson order is not valid",
    }
    detail = {
        "ja": "コースのすべてのレッスンIDを、重複なく1回ずつ指定してください。",
        "en": "List every lesson id of the course exactly once.",
    }


class LessonHasNoVideo(Conflict):
    """R-CON-2, R-PRG-1: playback and playback progress exist only for lessons with a video."""

    type = "lesson-has-no-video"
    title = {"ja": "このレッスンには動画がありません", "en": "This lesson has no video"}
    detail = {
        "ja": "再生と視聴状況の記録は、動画のあるレッスンでのみご利用いただけます。",
        "en": "Playback and playback progress are available for lessons with a video only.",
    }
