package org.fedtel.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.ConsoleAppender;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Logging is configured by {@link LogConfigurator}, found by logback through its service file
 * (without it logback falls back to its basic configuration: an appender named "console" on
 * stdout, which would mix logs into the command's results).
 */
class LogConfiguratorTest {
  @Test
  void logsGoToStderrInTheCommandsPattern() {
    LoggerContext context = assertInstanceOf(LoggerContext.class, LoggerFactory.getILoggerFactory());
    var appender = context.getLogger(Logger.ROOT_LOGGER_NAME).getAppender("STDERR");
    ConsoleAppender<ILoggingEvent> console = assertInstanceOf(ConsoleAppender.class, appender);
    assertEquals("System.err", console.getTarget());
    PatternLayoutEncoder encoder = assertInstanceOf(PatternLayoutEncoder.class, console.getEncoder());
    assertEquals(LogConfigurator.PATTERN, encoder.getPattern());
  }
}
